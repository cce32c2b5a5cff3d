/**
 * `npm run bench`: prints bundle and pipeline figures (docs/architecture.md#performance).
 * `npm run bench -- bundles|pipeline|scheduler|cost` runs one.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export {};

const { benchBundles } = await import('./bundles');
const { benchPipeline } = await import('./pipeline');
const { benchScheduler } = await import('./scheduler');
const { benchCost } = await import('./cost');

const only = process.argv[2];
if (!only || only === 'bundles') await benchBundles();
if (!only || only === 'pipeline') await benchPipeline();
if (!only || only === 'scheduler') await benchScheduler();
if (!only || only === 'cost') await benchCost();
