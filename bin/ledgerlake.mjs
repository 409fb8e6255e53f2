#!/usr/bin/env node
// The `ledgerlake` command. The CLI is TypeScript run through tsx, so `npx ledgerlake` needs no build step.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
