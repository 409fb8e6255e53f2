import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { AthenaClient } from '@aws-sdk/client-athena';
import middy from '@middy/core';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { createObservability, SERVICES } from '../shared/observability';
import {
  type AthenaSender,
  createViews,
  dropViews,
  removedViews,
  type ViewDefinition,
  type ViewDeploymentProperties,
} from './deploy-views';

/**
 * The `onEvent` handler of the views custom resource (run by the CDK Provider framework, which sends
 * the answer to CloudFormation and turns a thrown error into a FAILED status with its message).
 *
 * Create/Update: CREATE OR REPLACE every view in dependency order (any SQL change changes `SqlHash`,
 * so CloudFormation sends an Update), then drop views the new definition no longer has.
 * Delete: drop every view in reverse dependency order. On a failed update CloudFormation sends an
 * Update back to the old properties, which re-creates the old views.
 */
export interface CustomResourceResponse {
  readonly PhysicalResourceId: string;
  readonly Data?: Record<string, string>;
}

/** Handles one custom-resource event with the given Athena client (tests pass a stand-in). */
export async function handleViewsEvent(
  event: CloudFormationCustomResourceEvent,
  athena: AthenaSender,
  overrides: { sleep?: (ms: number) => Promise<void> } = {},
): Promise<CustomResourceResponse> {
  const props = event.ResourceProperties as unknown as ViewDeploymentProperties;
  const options = { athena, workGroup: props.WorkGroup, database: props.Database, ...overrides };
  const physicalId = `${props.Database}/views`;
  const names = props.Views.map((view) => view.name);
  switch (event.RequestType) {
    case 'Create':
      await createViews(options, props.Views);
      return { PhysicalResourceId: physicalId, Data: { Views: names.join(',') } };
    case 'Update': {
      const previous =
        (event.OldResourceProperties as unknown as Partial<ViewDeploymentProperties>).Views ?? [];
      await createViews(options, props.Views);
      await dropViews(options, removedViews(previous as ViewDefinition[], props.Views));
      return { PhysicalResourceId: physicalId, Data: { Views: names.join(',') } };
    }
    case 'Delete':
      await dropViews(options, names);
      return { PhysicalResourceId: event.PhysicalResourceId };
  }
}

const { logger } = createObservability(SERVICES.athenaViews);
const athena = new AthenaClient({});

async function onEvent(event: CloudFormationCustomResourceEvent): Promise<CustomResourceResponse> {
  const props = event.ResourceProperties as unknown as ViewDeploymentProperties;
  logger.info('deploying views', {
    requestType: event.RequestType,
    database: props.Database,
    views: props.Views.map((view) => view.name),
  });
  try {
    return await handleViewsEvent(event, athena);
  } catch (error) {
    logger.error('view deployment failed', { error: error as Error });
    throw error;
  }
}

export const handler = middy(onEvent).use(injectLambdaContext(logger));
