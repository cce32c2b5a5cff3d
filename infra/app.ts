import { App, Stack } from 'aws-cdk-lib';
import { Queue } from 'aws-cdk-lib/aws-sqs';
const app = new App();
const s = new Stack(app, 'T');
new Queue(s, 'Q');
app.synth();
