import { type CfnElement, Stack, Validations } from 'aws-cdk-lib';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { Provider } from 'aws-cdk-lib/custom-resources';
import type { IConstruct } from 'constructs';

/**
 * cdk-nag (v3) acknowledgements, kept together so a reviewer sees every accepted finding and why.
 * Each acknowledgement names one exact finding (`AwsSolutions-IAM5[Action::s3:List*]`), never a
 * whole rule, so a new wildcard on the same role is still reported.
 */

const MANAGED_BASIC_EXECUTION_ROLE =
  'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]';

/** Acknowledges each finding id with its reason on a construct and everything below it. */
export function acknowledge(construct: IConstruct, findings: Readonly<Record<string, string>>): void {
  for (const [id, reason] of Object.entries(findings)) Validations.of(construct).acknowledge({ id, reason });
}

/** `<LogicalId.Arn>` as cdk-nag prints a bucket's ARN reference in a finding. */
function arnReference(construct: IConstruct): string {
  const element = construct.node.defaultChild as CfnElement;
  return `<${Stack.of(construct).getLogicalId(element)}.Arn>`;
}

/**
 * The findings a `bucket.grantRead` / `grantReadWrite(grantee, '<prefix>*')` produces: the grant
 * methods use action wildcards (`s3:GetObject*` covers GetObject, GetObjectVersion, GetObjectTagging...)
 * and the object resource is a key pattern.
 */
export function acknowledgeBucketGrant(
  construct: IConstruct,
  bucket: IBucket,
  options: { readonly keyPatterns: readonly string[]; readonly write: boolean; readonly why: string },
): void {
  const reason = `Least-privilege grant from the CDK bucket grant methods: ${options.why}.`;
  const findings: Record<string, string> = {
    'AwsSolutions-IAM5[Action::s3:GetObject*]': reason,
    'AwsSolutions-IAM5[Action::s3:GetBucket*]': reason,
    'AwsSolutions-IAM5[Action::s3:List*]': reason,
  };
  if (options.write) {
    findings['AwsSolutions-IAM5[Action::s3:DeleteObject*]'] = reason;
    findings['AwsSolutions-IAM5[Action::s3:Abort*]'] = reason;
  }
  for (const pattern of options.keyPatterns) {
    findings[`AwsSolutions-IAM5[Resource::${arnReference(bucket)}/${pattern}]`] = reason;
  }
  acknowledge(construct, findings);
}

/** Findings on the CDK Provider framework's own function, which aws-cdk-lib builds and configures. */
export function acknowledgeProvider(provider: Provider, onEventHandler: IConstruct): void {
  const framework = provider.node.findChild('framework-onEvent');
  acknowledge(framework, {
    [MANAGED_BASIC_EXECUTION_ROLE]:
      'CDK Provider framework function: AWS managed policy for its own logs, not configurable.',
    'AwsSolutions-L1': 'CDK Provider framework function: its runtime is chosen and updated by aws-cdk-lib.',
    [`AwsSolutions-IAM5[Resource::${arnReference(onEventHandler)}:*]`]:
      'CDK Provider framework may invoke any version of our onEvent function; the grant is limited to that function.',
  });
}

/**
 * Stack-level findings on constructs aws-cdk-lib creates for us: the S3 notification handler (behind
 * `addEventNotification`), the BucketDeployment function (reference data), and the auto-delete
 * provider when `destroyOnRemoval` is set.
 */
export function acknowledgeStackFindings(stack: Stack): void {
  for (const child of stack.node.children) {
    const id = child.node.id;
    if (id.startsWith('BucketNotificationsHandler')) {
      acknowledge(child, {
        [MANAGED_BASIC_EXECUTION_ROLE]:
          'CDK-provided handler that writes the landing bucket notification configuration; its role is not configurable.',
        'AwsSolutions-IAM5[Resource::*]':
          'CDK-provided handler: s3:PutBucketNotification cannot be scoped before the bucket name exists.',
      });
    } else if (id.startsWith('Custom::CDKBucketDeployment')) {
      acknowledge(child, {
        [MANAGED_BASIC_EXECUTION_ROLE]:
          'CDK BucketDeployment function (reference data): role built by aws-cdk-lib.',
        'AwsSolutions-L1': 'CDK BucketDeployment function: its Python runtime is chosen by aws-cdk-lib.',
        'AwsSolutions-IAM5[Action::s3:GetObject*]':
          'CDK BucketDeployment reads its source asset and the reference prefix.',
        'AwsSolutions-IAM5[Action::s3:GetBucket*]': 'CDK BucketDeployment grant on the lake bucket.',
        'AwsSolutions-IAM5[Action::s3:List*]':
          'CDK BucketDeployment lists reference/ to prune removed tables.',
        'AwsSolutions-IAM5[Action::s3:DeleteObject*]':
          'CDK BucketDeployment prunes files removed from reference/.',
        'AwsSolutions-IAM5[Action::s3:Abort*]':
          'CDK BucketDeployment grant on the lake bucket (multipart uploads).',
        'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*]':
          'CDK BucketDeployment reads its source from the CDK bootstrap asset bucket.',
        [`AwsSolutions-IAM5[Resource::${arnReferenceOf(stack, 'LakeBucket')}/*]`]:
          'CDK BucketDeployment grants on the whole destination bucket; it only writes under reference/.',
      });
    } else if (id.startsWith('Custom::S3AutoDeleteObjectsCustomResourceProvider')) {
      acknowledge(child, {
        'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]':
          'CDK auto-delete provider (only with destroyOnRemoval=true): built by aws-cdk-lib.',
        'AwsSolutions-L1': 'CDK auto-delete provider: runtime chosen by aws-cdk-lib.',
      });
    }
  }
}

function arnReferenceOf(stack: Stack, childId: string): string {
  return arnReference(stack.node.findChild(childId));
}
