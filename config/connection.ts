import { readFileSync } from 'node:fs';
import type { EngineConfig } from './schema';

export interface ConnectionSettings {
  address: string;
  tls?: { clientCertPair: { crt: Buffer; key: Buffer }; serverRootCACertificate?: Buffer; serverNameOverride?: string } | boolean;
  apiKey?: string;
}

/**
 * Connection options shared by the worker and the CLI. Certificates and API keys come from the
 * environment variables that temporal.yaml names; a named variable that is unset is an error
 * rather than a silent fall-back to an insecure connection.
 */
export function connectionSettings(temporal: EngineConfig['temporal'], env: NodeJS.ProcessEnv = process.env): ConnectionSettings {
  const settings: ConnectionSettings = { address: temporal.address };
  if (temporal.tls) {
    const { clientCertPathEnv, clientKeyPathEnv, serverRootCaPathEnv, serverName } = temporal.tls;
    settings.tls = {
      clientCertPair: { crt: readFileFromEnv(env, clientCertPathEnv), key: readFileFromEnv(env, clientKeyPathEnv) },
      serverRootCACertificate: serverRootCaPathEnv ? readFileFromEnv(env, serverRootCaPathEnv) : undefined,
      serverNameOverride: serverName,
    };
  }
  if (temporal.apiKeyEnv) {
    settings.apiKey = requireEnv(env, temporal.apiKeyEnv);
    settings.tls ??= true;
  }
  return settings;
}

function requireEnv(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) throw new Error(`environment variable ${name} (named in temporal.yaml) is not set`);
  return value;
}

function readFileFromEnv(env: NodeJS.ProcessEnv, name: string): Buffer {
  const file = requireEnv(env, name);
  try {
    return readFileSync(file);
  } catch {
    throw new Error(`cannot read ${file} (from environment variable ${name})`);
  }
}
