import { describe, expect, it } from 'vitest';
import { arn, bucketName, readEnvironment } from '../../lambdas/shared/environment';
import { EnvironmentError } from '../../lambdas/shared/errors';

const SPEC = {
  LANDING_BUCKET: { check: bucketName },
  INGESTED_TOPIC_ARN: { required: false, check: arn },
};

describe('environment read at cold start', () => {
  it('returns the declared variables', () => {
    const env = readEnvironment(SPEC, {
      LANDING_BUCKET: 'landing-1',
      INGESTED_TOPIC_ARN: 'arn:aws:sns:eu-west-1:1:t',
    });

    expect(env).toEqual({ LANDING_BUCKET: 'landing-1', INGESTED_TOPIC_ARN: 'arn:aws:sns:eu-west-1:1:t' });
  });

  it('leaves an optional variable undefined when it is not set', () => {
    expect(readEnvironment(SPEC, { LANDING_BUCKET: 'landing-1' }).INGESTED_TOPIC_ARN).toBeUndefined();
  });

  it('names every missing or malformed variable at once', () => {
    const read = () => readEnvironment(SPEC, { INGESTED_TOPIC_ARN: 'topic' });

    expect(read).toThrow(EnvironmentError);
    expect(read).toThrow(
      'invalid Lambda environment: LANDING_BUCKET is not set; INGESTED_TOPIC_ARN="topic" must be an ARN (arn:aws:...)',
    );
  });
});
