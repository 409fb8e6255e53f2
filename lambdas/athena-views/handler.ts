import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { AthenaClient } from '@aws-sdk/client-athena';
import { S3Client } from '@aws-sdk/client-s3';
import middy from '@middy/core';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import type { ObjectStore } from '../../src/storage/object-store';
import { S3ObjectStore, s3ClientConfig } from '../../src/storage/s3-store';
import { createObservability, SERVICES } from '../shared/observability';
import {
  type AthenaSender,
  deployRelations,
  dropRelations,
  type LegacyViewDeploymentProperties,
  relationsOf,
  type ViewDeploymentProperties,
} from './deploy-views';

/**
 * The `onEvent` handler of the views custom resource (run by the CDK Provider framework, which sends
 * the answer to CloudFormation and turns a thrown error into a FAILED status with its message).
 *
 * Create/Update: in dependency order, CREATE OR REPLACE every view and create every mart table that
 * is new or changed (any SQL or contract change changes `SqlHash`, so CloudFormation sends an
 * Update), then drop what the new definition no longer has. Delete: drop everything in reverse
 * dependency order. On a failed update CloudFormation sends an Update back to the old properties,
 * which re-creates the old relations.
 */
export interface CustomResourceResponse {
  readonly PhysicalResourceId: string;
  readonly Data?: Record<string, string>;
}

/** What the handler reaches besides Athena; tests pass stand-ins. */
export interface ViewsEventOverrides {
  readonly sleep?: (ms: number) => Promise<void>;
  /** The lake bucket as a store (mart files and refresh state). @default S3 */
  readonly lake?: (bucket: string) => ObjectStore;
}

const s3 = new S3Client(s3ClientConfig());
const s3Lake = (bucket: string): ObjectStore => new S3ObjectStore({ client: s3, bucket });

/** Handles one custom-resource event with the given Athena client (tests pass a stand-in). */
export async function handleViewsEvent(
  event: CloudFormationCustomResourceEvent,
  athena: AthenaSender,
  overrides: ViewsEventOverrides = {},
): Promise<CustomResourceResponse> {
  const props = event.ResourceProperties as unknown as ViewDeploymentProperties;
  const options = {
    athena,
    workGroup: props.WorkGroup,
    database: props.Database,
    ...(overrides.sleep === undefined ? {} : { sleep: overrides.sleep }),
  };
  const marts = { lake: (overrides.lake ?? s3Lake)(props.LakeBucket), lakeBucket: props.LakeBucket };
  const physicalId = `${props.Database}/views`;
  const relations = relationsOf(props);
  const data = { Data: { Relations: relations.map((relation) => relation.name).join(',') } };
  switch (event.RequestType) {
    case 'Create':
      await deployRelations(options, marts, relations, [], true);
      return { PhysicalResourceId: physicalId, ...data };
    case 'Update': {
      const old = event.OldResourceProperties as unknown as Partial<ViewDeploymentProperties> &
        LegacyViewDeploymentProperties;
      await deployRelations(
        options,
        marts,
        relations,
        relationsOf(old),
        old.ContractHash !== props.ContractHash,
      );
      return { PhysicalResourceId: physicalId, ...data };
    }
    case 'Delete':
      await dropRelations(options, marts, relations, { deleteTableFiles: false });
      return { PhysicalResourceId: event.PhysicalResourceId };
  }
}

const { logger } = createObservability(SERVICES.athenaViews);
const athena = new AthenaClient({});

async function onEvent(event: CloudFormationCustomResourceEvent): Promise<CustomResourceResponse> {
  const props = event.ResourceProperties as unknown as ViewDeploymentProperties;
  logger.info('deploying views and mart tables', {
    requestType: event.RequestType,
    database: props.Database,
    relations: relationsOf(props).map((relation) => `${relation.kind} ${relation.name}`),
  });
  try {
    return await handleViewsEvent(event, athena);
  } catch (error) {
    logger.error('deployment of views and mart tables failed', { error: error as Error });
    throw error;
  }
}

export const handler = middy(onEvent).use(injectLambdaContext(logger));
