/**
 * CDK entry point (cdk.json runs it with tsx): `npx cdk synth`, `npx cdk deploy -c alertEmail=...`.
 * Settings come from cdk.json's context and `-c key=value` flags; see docs/deploy.md.
 */
import { createLedgerlakeApp } from '../lib/ledgerlake-app';
import { SettingsError } from '../lib/settings';

try {
  const { app } = createLedgerlakeApp();
  app.synth();
} catch (error) {
  if (error instanceof SettingsError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}
