/**
 * cdk-nag guardrails (docs/architecture.md#security-and-cdk-nag): the AwsSolutions and Serverless
 * packs find nothing, every acknowledgement carries a specific reason, and every acknowledgement
 * is actually needed.
 *
 * cdk-nag 3 is a CDK policy-validation plugin, not an Aspect: findings no longer appear as
 * annotations (so `Annotations.fromStack(...).findError` would pass vacuously). The packs are run
 * with `validateScope`, which returns the findings left after acknowledgements, and synthesis is
 * also done with the packs registered, which throws on any error finding.
 */
import { Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks, type NagPack } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { synthGateway, type SynthesizedGateway } from './synth';

const packs = (): NagPack[] => [new AwsSolutionsChecks(undefined, { verbose: true }), new ServerlessChecks(undefined, { verbose: true })];

interface Finding {
  readonly rule: string;
  readonly severity: string;
  readonly path: string;
}

const findings = (scope: IConstruct): Finding[] =>
  packs().flatMap((pack) =>
    pack
      .validateScope(scope)
      .violations.flatMap((v) => v.violatingResources.map((r) => ({ rule: v.ruleName, severity: v.severity ?? '?', path: r.constructPath ?? '?' }))),
  );

interface Acknowledgement {
  readonly id: string;
  readonly reason: string;
  readonly path: string;
}

const acknowledgements = (scope: IConstruct): Acknowledgement[] =>
  scope.node.findAll().flatMap((c) =>
    c.node.metadata
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) =>
        Object.entries(m.data as Record<string, string>).map(([id, reason]) => ({
          // CDK stores rule ids with an `Annotation::` namespace prefix; cdk-nag strips it too.
          id: id.replace(/^annotation::/i, ''),
          reason,
          path: c.node.path,
        })),
      ),
  );

let g: SynthesizedGateway;
/** The same app built with every acknowledgement ignored: what the packs find without them. */
let bare: SynthesizedGateway;

beforeAll(() => {
  // With the packs registered, synthesis itself throws if any error finding is left.
  g = synthGateway({ checks: true });
  const ignore = vi.spyOn(Validations.prototype, 'acknowledge').mockImplementation(() => undefined);
  try {
    bare = synthGateway();
  } finally {
    ignore.mockRestore();
  }
});

afterAll(() => {
  g?.dispose();
  bare?.dispose();
});

describe('cdk-nag', () => {
  it('AwsSolutions and Serverless packs report no errors and no warnings', () => {
    expect(findings(g.app).map((f) => `${f.rule} (${f.severity}) at ${f.path}`)).toEqual([]);
  });

  it('the validation report written at synthesis lists no violations', () => {
    const report = JSON.parse(readFileSync(join(g.directory, 'validation-report.json'), 'utf8')) as {
      pluginReports: { violations?: unknown[] }[];
    };
    expect(report.pluginReports.flatMap((r) => r.violations ?? [])).toEqual([]);
  });

  it('every acknowledgement names a nag rule and gives a specific reason', () => {
    const acks = acknowledgements(g.app);
    expect(acks.length).toBeGreaterThan(0);
    for (const ack of acks) {
      expect(ack.id, ack.path).toMatch(/^(AwsSolutions|Serverless)-[A-Za-z0-9]+(\[.+\])?$/);
      // A real reason says why this resource may differ from the rule: more than a phrase.
      expect(ack.reason.length, `${ack.id} at ${ack.path}`).toBeGreaterThanOrEqual(80);
      expect(ack.reason, `${ack.id} at ${ack.path}`).not.toMatch(/\b(todo|fixme|tbd|n\/a|not needed|suppress(ed)?)\b/i);
    }
  });

  it('acknowledges only the expected rules (a new one must be added here, with review)', () => {
    const ids = [...new Set(acknowledgements(g.app).map((a) => a.id.replace(/<[^>]+>/, '<table>')))].sort();
    expect(ids).toEqual([
      'AwsSolutions-APIG4',
      // The events function's dynamodb:ListStreams (no resource-level permissions).
      'AwsSolutions-IAM5[Resource::*]',
      'AwsSolutions-IAM5[Resource::<table>/index/*]',
      'AwsSolutions-L1',
      'AwsSolutions-SMG4',
      'AwsSolutions-SQS3',
      'Serverless-LambdaDLQ',
      'Serverless-LambdaEventSourceMappingDestination',
      'Serverless-LambdaLatestVersion',
      // Tracing off by default (-c tracing=active turns it on, and then acknowledges X-Ray's Resource::* instead).
      'Serverless-LambdaTracing',
      'Serverless-SQSRedrivePolicy',
    ]);
  });

  it('every acknowledgement silences a finding that exists without it', () => {
    const raw = findings(bare.app);
    expect(raw.length).toBeGreaterThan(0);
    const unused = acknowledgements(g.app).filter(
      (ack) => !raw.some((f) => f.rule === ack.id && (f.path === ack.path || f.path.startsWith(`${ack.path}/`))),
    );
    expect(unused.map((a) => `${a.id} at ${a.path}`)).toEqual([]);
  });
});

describe('cdk-nag with -c tracing=active', () => {
  let traced: SynthesizedGateway | undefined;
  afterAll(() => traced?.dispose());

  it('reports nothing either: the X-Ray wildcard is acknowledged instead of the untraced functions', () => {
    traced = synthGateway({ checks: true, context: { tracing: 'active' } });
    expect(findings(traced.app).map((f) => `${f.rule} (${f.severity}) at ${f.path}`)).toEqual([]);
    const ids = new Set(acknowledgements(traced.app).map((a) => a.id));
    expect(ids.has('AwsSolutions-IAM5[Resource::*]')).toBe(true);
    expect(ids.has('Serverless-LambdaTracing')).toBe(false);
  });
});
