import { describe, expect, it } from 'vitest';
import { imageReference, parseStagingConfig, StagingConfigError } from './config.ts';
import { DEFAULT_IMAGE_TAG, stagingInputFromEnv } from './config-env.ts';

const tag = { image: { tag: '1.2.3' } };

describe('parseStagingConfig', () => {
  it('defaults everything but the image tag, starting with the cache toggle off', () => {
    const config = parseStagingConfig(tag);
    expect(config).toMatchObject({
      namespace: 'metasheet-staging',
      appName: 'metasheet-cache',
      kubeContext: 'metasheet-staging',
      image: { repository: 'metasheet-cache', tag: '1.2.3' },
      replicas: 2,
      featureCache: false,
      cacheImpl: 'null',
      secretName: 'metasheet-cache-secrets',
    });
  });

  it.each([
    [{ image: { tag: 'latest' } }, 'image.tag = "latest": must not be "latest"'],
    [{ image: { tag: '' } }, 'image.tag = "": must be a valid image tag'],
    [{ ...tag, replicas: 1 }, 'replicas = 1: Number must be greater than or equal to 2'],
    [{ ...tag, replicas: 2.5 }, 'replicas = 2.5: Expected integer'],
    [{ ...tag, namespace: 'Staging_NS' }, 'namespace = "Staging_NS": must be a DNS-1123 label'],
    [{ ...tag, featureCache: 'yes' }, 'featureCache = "yes": Expected boolean, received string'],
    [{ ...tag, image: { repository: 'Bad Repo', tag: '1' } }, 'image.repository = "Bad Repo"'],
    [{ ...tag, cacheImpl: 'disk' }, 'cacheImpl = "disk": Invalid enum value'],
    [{ ...tag, replica: 3 }, "Unrecognized key(s) in object: 'replica'"],
  ])('rejects %j naming the field and value', (input, message) => {
    expect(() => parseStagingConfig(input)).toThrow(StagingConfigError);
    expect(() => parseStagingConfig(input)).toThrow(message);
  });

  it('lists every bad field at once', () => {
    const error = (() => {
      try {
        parseStagingConfig({ image: { tag: 'latest' }, replicas: 0 });
      } catch (e) {
        return e as Error;
      }
      return undefined;
    })();
    expect(error?.message.split('\n')).toHaveLength(3);
  });
});

describe('stagingInputFromEnv', () => {
  it('uses the package.json version as the default tag and leaves the rest to defaults', () => {
    expect(DEFAULT_IMAGE_TAG).toMatch(/^\d+\.\d+\.\d+/);
    const config = parseStagingConfig(stagingInputFromEnv({}));
    expect(config.image).toEqual({
      registry: '',
      repository: 'metasheet-cache',
      tag: DEFAULT_IMAGE_TAG,
    });
    expect(config.featureCache).toBe(false);
  });

  it('reads the toggle, namespace, image and replicas', () => {
    const config = parseStagingConfig(
      stagingInputFromEnv({
        FEATURE_CACHE: 'true',
        K8S_NAMESPACE: 'ms-stage',
        IMAGE_REGISTRY: 'registry.local:5000',
        IMAGE_REPOSITORY: 'team/metasheet-cache',
        IMAGE_TAG: 'abc123',
        REPLICAS: '3',
      }),
    );
    expect(imageReference(config.image)).toBe('registry.local:5000/team/metasheet-cache:abc123');
    expect(config).toMatchObject({
      featureCache: true,
      namespace: 'ms-stage',
      image: { registry: 'registry.local:5000', repository: 'team/metasheet-cache', tag: 'abc123' },
      replicas: 3,
    });
  });

  it('passes unparsable values through so the error names them', () => {
    expect(() => parseStagingConfig(stagingInputFromEnv({ FEATURE_CACHE: 'on' }))).toThrow(
      'featureCache = "on"',
    );
    expect(() => parseStagingConfig(stagingInputFromEnv({ REPLICAS: 'two' }))).toThrow(
      'replicas = "two"',
    );
    expect(() => parseStagingConfig(stagingInputFromEnv({ IMAGE_TAG: 'latest' }))).toThrow(
      'image.tag = "latest"',
    );
    expect(() =>
      parseStagingConfig(stagingInputFromEnv({ IMAGE_REGISTRY: 'https://Registry/' })),
    ).toThrow('image.registry = "https://Registry/"');
  });
});
