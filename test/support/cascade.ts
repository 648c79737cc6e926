import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import type { EngineConfig } from '../../config/schema';
import type { RosterRef } from '../../domain/individuals';
import { validateRosterFile } from '../../roster/roster-file';
import type { LobSandbox } from '../../sandbox/lob-sandbox';
import type { TelnyxSandbox } from '../../sandbox/telnyx-sandbox';

export const ROSTER_HEADER = 'subject_id,full_name,email,fax,address_line1,address_line2,city,region,postal_code,country,language';

/** Writes a CSV roster and validates it as `breach start --roster` would; every row must be valid. */
export async function writeRoster(dir: string, name: string, rows: string[]): Promise<{ ref: RosterRef; total: number }> {
  const file = path.join(dir, `${name}.csv`);
  writeFileSync(file, [ROSTER_HEADER, ...rows].join('\n') + '\n');
  const { ref, valid, invalid } = await validateRosterFile(file);
  expect(invalid).toEqual([]);
  return { ref, total: valid };
}

/** The API keys the sandboxes expect, in the variables the channel configuration names. */
export function sandboxEnv(telnyx: TelnyxSandbox, lob: LobSandbox): NodeJS.ProcessEnv {
  return { TEST_TELNYX_KEY: telnyx.apiKey, TEST_LOB_KEY: lob.apiKey };
}

/** Fax and postal channels pointed at the local Telnyx and Lob sandboxes. */
export function sandboxChannels(telnyx: TelnyxSandbox, lob: LobSandbox): EngineConfig['channels'] {
  return {
    fax: { provider: 'telnyx', apiKeyEnv: 'TEST_TELNYX_KEY', connectionId: '1684641123236054244', from: '+13125550100', baseUrl: telnyx.baseUrl },
    postal: {
      provider: 'lob',
      apiKeyEnv: 'TEST_LOB_KEY',
      baseUrl: lob.baseUrl,
      from: { name: 'Privacy Office', address_line1: '185 Berry St Ste 6100', address_city: 'San Francisco', address_state: 'CA', address_zip: '94107', address_country: 'US' },
    },
  };
}
