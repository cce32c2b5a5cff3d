// Entry point filled in by the intake/status/consumer work; exists so the CDK stack can bundle it.
export const handler = async (): Promise<never> => {
  throw new Error('intake handler not built yet');
};
