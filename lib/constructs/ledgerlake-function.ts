import { join } from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, type NodejsFunctionProps, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { DATASETS } from '../../datasets/index';
import { serializeContracts } from '../../datasets/registry';
import { PROJECT_ROOT } from '../project-root';

export interface LedgerlakeFunctionProps
  extends Omit<NodejsFunctionProps, 'entry' | 'runtime' | 'architecture' | 'bundling' | 'role' | 'logGroup'> {
  /** Handler file, relative to the project root, e.g. `lambdas/ingest/handler.ts`. */
  readonly entry: string;
  /** Retention of the function's log group, days. */
  readonly logRetentionDays: number;
  /**
   * Delete the log group with the stack.
   * @default false
   */
  readonly destroyOnRemoval?: boolean;
  /**
   * Folders of the project root copied next to the bundled handler (e.g. `sql`, `reference`), for a
   * function that reads them at run time.
   * @default - none
   */
  readonly bundledFolders?: readonly string[];
}

/**
 * Nothing is left to the runtime: the AWS SDK v3 packages (`@aws-sdk/*`, `@smithy/*`) are bundled at
 * the versions of package-lock.json, the ones the tests ran with. The Node.js runtimes ship an SDK of
 * their own, updated by AWS on their schedule; leaving the clients to it while bundling
 * `@aws-sdk/lib-storage` would pair our lib-storage with whatever `@aws-sdk/client-s3` the runtime
 * has that day, a pair nobody tested. The price is a larger package (a few hundred kB minified).
 */
export const EXTERNAL_MODULES: readonly string[] = [];

/**
 * The esbuild `define` that compiles this synth's dataset contracts (`DATASETS`: datasets/*.yaml and the
 * project's contracts folder, lookups resolved) into a bundle, read by datasets/registry.ts. Base64, so
 * the esbuild command line needs no escaping.
 */
export function bundledContractsDefine(): Record<string, string> {
  return {
    LEDGERLAKE_BUNDLED_CONTRACTS: JSON.stringify(
      Buffer.from(serializeContracts(DATASETS), 'utf8').toString('base64'),
    ),
  };
}

/**
 * A NodejsFunction with the project's defaults: Node.js 24 on arm64, bundled by the local esbuild (no
 * Docker) as minified ESM without source maps with the whole AWS SDK inside (`EXTERNAL_MODULES`),
 * and its own role and log group (retention `logRetentionDays`). The role
 * has no managed policy: the only grant it starts with is writing to its own log group, and
 * everything else comes from `grant*` calls at the call site.
 */
export class LedgerlakeFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, props: LedgerlakeFunctionProps) {
    const { entry, logRetentionDays, destroyOnRemoval, bundledFolders, ...rest } = props;
    const folders = bundledFolders ?? [];
    for (const folder of folders)
      if (!/^[a-z][a-z0-9_-]*$/.test(folder))
        throw new Error(
          `LedgerlakeFunction ${id}: bundledFolders must name top-level folders such as 'sql', got '${folder}'`,
        );
    const role = new Role(scope, `${id}Role`, {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: props.description,
    });
    const logGroup = new LogGroup(scope, `${id}Logs`, {
      retention: logRetentionDays as RetentionDays,
      removalPolicy: destroyOnRemoval ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
    });
    super(scope, id, {
      ...rest,
      entry: join(PROJECT_ROOT, entry),
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: join(PROJECT_ROOT, 'package-lock.json'),
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      timeout: props.timeout ?? Duration.seconds(30),
      memorySize: props.memorySize ?? 256,
      role,
      logGroup,
      bundling: {
        forceDockerBundling: false,
        format: OutputFormat.ESM,
        target: 'node24',
        minify: true,
        sourceMap: false,
        // Explicitly empty: left unset, NodejsFunction marks `@aws-sdk/*` external on Node.js 18+.
        externalModules: [...EXTERNAL_MODULES],
        mainFields: ['module', 'main'],
        // The contracts synth read, compiled in: the function validates with exactly those, and a
        // contract change changes the code asset.
        define: bundledContractsDefine(),
        // Some bundled CommonJS dependencies call require(); give ESM output a require function.
        banner:
          "import { createRequire as __createRequire } from 'module'; const require = __createRequire(import.meta.url);",
        ...(folders.length === 0
          ? {}
          : {
              commandHooks: {
                beforeBundling: () => [],
                beforeInstall: () => [],
                afterBundling: (inputDir: string, outputDir: string) =>
                  folders.map((folder) => `cp -R "${join(inputDir, folder)}" "${join(outputDir, folder)}"`),
              },
            }),
      },
    });
    logGroup.grantWrite(role);
  }
}
