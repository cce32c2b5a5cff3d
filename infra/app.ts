/**
 * CDK app entry (`cdk.json`: `npx tsx infra/app.ts`). Deploy a stage with
 * `npx cdk deploy -c stage=prod`; see `addRenewalGateway` for the other context keys.
 */
import { App } from 'aws-cdk-lib';
import { addRenewalGateway } from './gateway-app';

const app = new App();
addRenewalGateway(app);
app.synth();
