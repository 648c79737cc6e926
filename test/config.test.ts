import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { connectionSettings } from '../config/connection';
import { ConfigError, loadConfig } from '../config/load';

const dir = mkdtempSync(path.join(os.tmpdir(), 'breach-config-'));
let counter = 0;

function configFile(content: string): string {
  const file = path.join(dir, `temporal-${++counter}.yaml`);
  writeFileSync(file, content);
  return file;
}

const valid = `
authority:
  name: DPA
  email: dpa@authority.test
notifications:
  from: engine@company.test
  responders: [ir@company.test]
smtp:
  host: localhost
  port: 1025
`;

function problemOf(content: string): string {
  const file = configFile(content);
  try {
    loadConfig(file, {});
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message.replace(`${file}: `, '');
  }
  throw new Error('expected the configuration to be rejected');
}

describe('temporal.yaml', () => {
  it('fills in the documented defaults', () => {
    const file = configFile(valid);
    const config = loadConfig(file, {});
    expect(config.temporal).toEqual({ address: 'localhost:7233', namespace: 'default', taskQueue: 'breach-notifications', webUiUrl: 'http://localhost:8233', maxCachedWorkflows: 100 });
    expect(config.authority).toMatchObject({ notifyBy: 'email', deadlineHours: 72, holdsDelayNotice: false });
    expect(config.notifications).toMatchObject({ reminderHoursBeforeDeadline: [48, 24, 6, 1], overdueReminderEveryHours: 4 });
    const individuals = {
      bounceWindow: '48 hours',
      faxPollInterval: '30 seconds',
      emailMaxAttempts: 5,
      cohortSize: 500,
      sendingCohorts: 4,
      batchSize: 100,
      fallbackDelay: '10 seconds',
      outageRetryFor: '24 hours',
      continueAsNewAfterEvents: 10_000,
      // Relative to the configuration file's directory.
      templateDir: path.join(path.dirname(file), 'templates'),
      defaultLanguage: 'en',
      maxPerSecond: { email: 200, fax: 10, postal: 20 },
    };
    expect(config.individuals).toEqual({ channels: ['email'], ...individuals });
    expect(config.smtp.maxConnections).toBe(5);
    // An individuals section that names only its channels gets the same defaults.
    const named = loadConfig(configFile(valid + 'individuals:\n  channels: [email, fax]\nchannels:\n  fax:\n    apiKeyEnv: TELNYX_KEY\n    connectionId: "1"\n    from: "+13125550100"\n'), {});
    expect(named.individuals).toEqual({ channels: ['email', 'fax'], ...individuals });
    expect(config.audit).toEqual({ archiveDir: '.data/audit-archive' });
  });

  it("loads the project's own temporal.yaml", () => {
    expect(loadConfig(path.resolve(__dirname, '..', 'temporal.yaml'), {}).authority.deadlineHours).toBe(72);
  });

  it('lets TEMPORAL_ADDRESS and TEMPORAL_NAMESPACE override the file', () => {
    const config = loadConfig(configFile(valid), { TEMPORAL_ADDRESS: 'temporal.prod:7233', TEMPORAL_NAMESPACE: 'breaches' });
    expect(config.temporal).toMatchObject({ address: 'temporal.prod:7233', namespace: 'breaches' });
  });

  it('names the key path and what was expected for each kind of mistake', () => {
    expect(problemOf(valid + 'smpt: {}\n')).toBe('smpt: unknown key');
    expect(problemOf(valid.replace('  port: 1025', '  port: 1025\n  tls: true'))).toBe('smtp.tls: unknown key');
    expect(problemOf(valid.replace('  name: DPA', '  name: DPA\n  deadlineHours: "72h"'))).toMatch(/^authority\.deadlineHours: .*expected number/);
    expect(problemOf(valid.replace('  email: dpa@authority.test\n', ''))).toBe(
      'authority.email: expected an email address: required when authority.notifyBy is email',
    );
    expect(problemOf(valid.replace('[ir@company.test]', '[not-an-address]'))).toBe('notifications.responders.0: expected an email address');
    expect(problemOf(valid.replace('  port: 1025', '  port: 70000'))).toMatch(/^smtp\.port: /);
    expect(problemOf(valid.replace('  host: localhost\n', ''))).toMatch(/^smtp\.host: /);
    expect(problemOf(valid + 'temporal:\n  apiKeyEnv: "my secret key"\n')).toMatch(/^temporal\.apiKeyEnv: expected the name of an environment variable/);
    // Secrets pasted where a variable's name belongs are refused without being echoed.
    for (const secret of ['KEY0184C4A1F2B4C4E8A1D2E3F4A5B6C7D8_AbCdEfGhIjKlMn', 'test_0123456789abcdef0123456789', 'KEY0184C4A1F2B4C4E8A1D2E3F4A5B6C7D8']) {
      const problem = problemOf(valid + `temporal:\n  apiKeyEnv: ${secret}\n`);
      expect(problem).toMatch(/^temporal\.apiKeyEnv: (expected the name of an environment variable|this looks like a secret)/);
      expect(problem).not.toContain(secret);
    }
    expect(problemOf(valid + 'controller:\n  name: Acme\n  timeZone: Europe/Atlantis\n')).toBe('controller.timeZone: must be an IANA time zone such as Europe/Berlin');
    expect(problemOf('authority: [')).toMatch(/^Flow sequence|^.*(YAML|flow|Missing|Unexpected)/i);
  });

  it('no longer knows the per-person fan-out settings window and pageSize', () => {
    expect(problemOf(valid + 'individuals:\n  channels: [email]\n  window: 200\n')).toBe('individuals.window: unknown key');
    expect(problemOf(valid + 'individuals:\n  channels: [email]\n  pageSize: 100\n')).toBe('individuals.pageSize: unknown key');
  });

  it('names the key of a bad cohort or batch setting', () => {
    const individuals = (lines: string) => problemOf(valid + `individuals:\n  channels: [email]\n${lines}`);
    expect(individuals('  cohortSize: 0\n')).toMatch(/^individuals\.cohortSize: /);
    expect(individuals('  cohortSize: 2001\n')).toMatch(/^individuals\.cohortSize: /);
    expect(individuals('  sendingCohorts: 1.5\n')).toBe('individuals.sendingCohorts: Invalid input: expected int, received number');
    expect(individuals('  batchSize: 1001\n')).toMatch(/^individuals\.batchSize: /);
    const durationProblem = "expected a duration with its unit, such as '48 hours', '30 seconds' or '5m'";
    expect(individuals('  fallbackDelay: soon\n')).toBe(`individuals.fallbackDelay: ${durationProblem}`);
    expect(individuals('  outageRetryFor: 0s\n')).toBe(`individuals.outageRetryFor: ${durationProblem}`);
    // A bare number would be read as milliseconds: a 48 ms bounce window is a mistake, not a setting.
    expect(individuals('  bounceWindow: 48\n')).toBe(`individuals.bounceWindow: ${durationProblem}`);
    expect(individuals('  bounceWindow: "48"\n')).toBe(`individuals.bounceWindow: ${durationProblem}`);
    const fromYaml = (lines: string) => loadConfig(configFile(valid + `individuals:\n  channels: [email]\n${lines}`), {}).individuals;
    expect(fromYaml('  faxPollInterval: 30 seconds\n  fallbackDelay: 1.5m\n')).toMatchObject({ faxPollInterval: '30 seconds', fallbackDelay: '1.5m' });
    expect(problemOf(valid.replace('  port: 1025', '  port: 1025\n  maxConnections: 0'))).toMatch(/^smtp\.maxConnections: /);
  });

  it('takes a return path with {notice} once in its local part, and nothing else', () => {
    const withReturnPath = (value: string) => valid.replace('  port: 1025', `  port: 1025\n  returnPath: '${value}'`);
    expect(loadConfig(configFile(withReturnPath('bounces+{notice}@bounces.company.test')), {}).smtp.returnPath).toBe('bounces+{notice}@bounces.company.test');
    const expected = 'smtp.returnPath: expected an address with {notice} once in its local part, e.g. bounces+{notice}@bounces.company.example';
    for (const bad of ['bounces@company.test', 'bounces+{notice}{notice}@company.test', 'bounces@{notice}.company.test', 'bounces+{notice}']) expect(problemOf(withReturnPath(bad))).toBe(expected);
  });

    it('reports a missing file plainly', () => {
    expect(() => loadConfig(path.join(dir, 'nope.yaml'), {})).toThrow(`${path.join(dir, 'nope.yaml')}: file not found`);
  });

  it('reads TLS material and API keys only through the environment variables the file names', () => {
    const cert = configFile('CERT');
    const key = configFile('KEY');
    const config = loadConfig(
      configFile(valid + 'temporal:\n  address: x.tmprl.cloud:7233\n  tls:\n    clientCertPathEnv: T_CERT\n    clientKeyPathEnv: T_KEY\n'),
      {},
    );
    const settings = connectionSettings(config.temporal, { T_CERT: cert, T_KEY: key });
    expect(settings.tls).toMatchObject({ clientCertPair: { crt: Buffer.from('CERT'), key: Buffer.from('KEY') } });
    expect(() => connectionSettings(config.temporal, {})).toThrow('environment variable T_CERT (named in temporal.yaml) is not set');

    const cloud = loadConfig(configFile(valid + 'temporal:\n  apiKeyEnv: T_API_KEY\n'), {});
    expect(connectionSettings(cloud.temporal, { T_API_KEY: 'k-123' })).toMatchObject({ apiKey: 'k-123', tls: true });
  });

  describe('audit archive', () => {
    it('keeps archiveDir as the folder archive, by default and as before', () => {
      expect(loadConfig(configFile(valid), {}).audit).toEqual({ archiveDir: '.data/audit-archive' });
      expect(loadConfig(configFile(valid + 'audit:\n  archiveDir: /var/breach/audit\n'), {}).audit).toEqual({ archiveDir: '/var/breach/audit' });
    });

    it('reads an S3 target with credentials named by environment variable', () => {
      const config = loadConfig(configFile(valid + 'audit:\n  s3:\n    bucket: company-breach-audit\n    region: eu-central-1\n'), {});
      expect(config.audit.s3).toEqual({
        bucket: 'company-breach-audit',
        region: 'eu-central-1',
        forcePathStyle: false,
        accessKeyIdEnv: 'AWS_ACCESS_KEY_ID',
        secretAccessKeyEnv: 'AWS_SECRET_ACCESS_KEY',
      });
    });

    it('names the key path of each S3 mistake', () => {
      const s3 = (lines: string) => problemOf(valid + `audit:\n  s3:\n${lines}`);
      expect(s3('    region: eu-central-1\n')).toBe('audit.s3.bucket: Invalid input: expected string, received undefined');
      expect(s3('    bucket: b\n')).toBe('audit.s3.region: Invalid input: expected string, received undefined');
      expect(s3('    bucket: b\n    region: r\n    accessKey: AKIA\n')).toBe('audit.s3.accessKey: unknown key');
      expect(s3('    bucket: b\n    region: r\n    secretAccessKeyEnv: "wJalr/XUtnFEMI"\n')).toMatch(/^audit\.s3\.secretAccessKeyEnv: expected the name of an environment variable/);
      expect(s3('    bucket: b\n    region: r\n    endpoint: localhost\n')).toMatch(/^audit\.s3\.endpoint: /);
      expect(s3('    bucket: b\n    region: r\n    prefix: /audit\n')).toBe("audit.s3.prefix: expected a non-empty key prefix that does not start with '/'");
      expect(s3('    bucket: b\n    region: r\n    forcePathStyle: "yes"\n')).toMatch(/^audit\.s3\.forcePathStyle: .*expected boolean/);
      expect(problemOf(valid + 'audit:\n  archive: s3\n')).toBe('audit.archive: unknown key');
    });
  });
});
