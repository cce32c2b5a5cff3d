/**
 * Synthesizes the renewal gateway the way `infra/app.ts` does (same `addRenewalGateway`), into a
 * temporary cloud assembly, in this process and WITHOUT bundling the handlers (CDK's
 * `aws:cdk:bundling-stacks` context set to none, as `cdk synth --exclusively` does for other
 * stacks). CDK bundles with a synchronous esbuild call: eight bundles held a test worker's event
 * loop for tens of seconds on a loaded machine. The real bundles are built and checked by
 * `bundles.test.ts`, which runs `cdk synth` in a child process.
 */
import { App, CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addRenewalGateway } from '../../infra/gateway-app';
import type { RenewalGatewayStack } from '../../infra/renewal-gateway-stack';

/** CDK context key listing the stacks whose assets are bundled at synthesis (none here). */
const BUNDLING_STACKS = 'aws:cdk:bundling-stacks';

export interface SynthesizedGateway {
  readonly app: App;
  readonly stack: RenewalGatewayStack;
  readonly template: Template;
  /** The template as plain JSON, for walking every resource. */
  readonly json: TemplateJson;
  /** Cloud assembly directory (the template and the validation report; no bundled assets). */
  readonly directory: string;
  readonly seconds: number;
  dispose(): void;
}

export interface CfnResourceJson {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly DeletionPolicy?: string;
  readonly UpdateReplacePolicy?: string;
}

export interface TemplateJson {
  readonly Resources: Record<string, CfnResourceJson>;
  readonly Outputs?: Record<string, { readonly Value: unknown; readonly Export?: unknown }>;
}

export interface SynthOptions {
  readonly context?: Record<string, string>;
  /** Register the cdk-nag packs as validation plugins (synthesis then fails on findings). */
  readonly checks?: boolean;
}

export function synthGateway(options: SynthOptions = {}): SynthesizedGateway {
  const started = performance.now();
  const directory = mkdtempSync(join(tmpdir(), 'renewal-gateway-cdk-'));
  const dispose = () => rmSync(directory, { recursive: true, force: true });
  let app: App, stack: RenewalGatewayStack, templateJson: unknown;
  try {
    app = new App({ outdir: directory, context: { ...options.context, [BUNDLING_STACKS]: [] } });
    stack = addRenewalGateway(app, { checks: options.checks ?? false });
    templateJson = app.synth().getStackArtifact(stack.artifactId).template;
  } catch (error) {
    dispose();
    throw error;
  }
  const template = Template.fromJSON(templateJson as Record<string, unknown>);
  return {
    app,
    stack,
    template,
    json: template.toJSON() as TemplateJson,
    directory,
    seconds: (performance.now() - started) / 1000,
    dispose,
  };
}

/** Logical id of the CloudFormation resource behind an L2 construct (or of an L1 itself). */
export function logicalId(stack: RenewalGatewayStack, construct: IConstruct): string {
  const element = construct instanceof CfnElement ? construct : construct.node.defaultChild;
  if (!(element instanceof CfnElement)) throw new Error(`${construct.node.path} has no CloudFormation resource`);
  return stack.getLogicalId(element);
}

/** The resource with that logical id, failing the test if it is missing or of another type. */
export function resource(json: TemplateJson, id: string, type: string): CfnResourceJson {
  const found = json.Resources[id];
  if (!found) throw new Error(`no resource ${id} in the template`);
  if (found.Type !== type) throw new Error(`resource ${id} is a ${found.Type}, expected ${type}`);
  return found;
}

export const ref = (id: string) => ({ Ref: id });
export const getAtt = (id: string, attribute: string) => ({ 'Fn::GetAtt': [id, attribute] });
