import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  type IBucket,
  type LifecycleRule,
  ObjectOwnership,
} from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';

export interface SecureBucketProps {
  /**
   * Keep every version of every object (landing and lake: a bad overwrite can be undone).
   * @default false
   */
  readonly versioned?: boolean;
  /**
   * Days after which current objects expire.
   * @default - objects never expire
   */
  readonly expirationDays?: number;
  /**
   * Days after which noncurrent versions expire (only for versioned buckets).
   * @default - noncurrent versions never expire
   */
  readonly noncurrentVersionExpirationDays?: number;
  /**
   * Bucket receiving this bucket's S3 server access logs, under `<logPrefix>`.
   * @default - no access logs (only for the access-log bucket itself)
   */
  readonly serverAccessLogsBucket?: IBucket;
  /**
   * Prefix of this bucket's access logs in `serverAccessLogsBucket`.
   * @default - the construct id followed by `/`
   */
  readonly serverAccessLogsPrefix?: string;
  /**
   * Delete the bucket and every object in it with the stack. Stateful data is retained unless the
   * user opts in explicitly (setting `destroyOnRemoval`).
   * @default false
   */
  readonly destroyOnRemoval?: boolean;
}

/**
 * An S3 bucket with the lake's security defaults in one place: SSE-S3 encryption, TLS-only access
 * (bucket policy denying `aws:SecureTransport=false`), every public access blocked, ACLs disabled,
 * server access logs, lifecycle expirations, and RETAIN unless `destroyOnRemoval` is set.
 *
 * SSE-S3 rather than KMS: it is free, needs no key grants for Athena, Glue or the log delivery
 * service (access-log target buckets must use SSE-S3 anyway), and meets the encryption-at-rest need.
 */
export class SecureBucket extends Bucket {
  constructor(scope: Construct, id: string, props: SecureBucketProps = {}) {
    const destroy = props.destroyOnRemoval ?? false;
    const lifecycleRules: LifecycleRule[] = [
      { id: 'abort-incomplete-multipart-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
    ];
    if (props.expirationDays !== undefined) {
      lifecycleRules.push({ id: 'expire-objects', expiration: Duration.days(props.expirationDays) });
    }
    if (props.versioned && props.noncurrentVersionExpirationDays !== undefined) {
      lifecycleRules.push({
        id: 'expire-noncurrent-versions',
        noncurrentVersionExpiration: Duration.days(props.noncurrentVersionExpirationDays),
        expiredObjectDeleteMarker: props.expirationDays === undefined,
      });
    }
    super(scope, id, {
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: props.versioned ?? false,
      lifecycleRules,
      serverAccessLogsBucket: props.serverAccessLogsBucket,
      serverAccessLogsPrefix: props.serverAccessLogsBucket
        ? (props.serverAccessLogsPrefix ?? `${id}/`)
        : undefined,
      removalPolicy: destroy ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
      autoDeleteObjects: destroy,
    });
  }
}
