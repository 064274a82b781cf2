import { existsSync } from 'node:fs';
import type { Config } from '../config/env.ts';
import { keyFromFile, parseDataKey, type DataKeys } from '../db/crypto.ts';

/**
 * The keys the database is opened with: DATA_KEY or the key file, plus DATA_KEY_PREVIOUS and what an
 * unfinished rotation left beside the key file (`.previous`, `.next`), so no sealed value is ever
 * unreadable.
 */
export function loadDataKeys(config: Config): DataKeys {
  const current = config.dataKey ? parseDataKey(config.dataKey) : keyFromFile(config.dataKeyFile);
  const leftovers = config.dataKey ? [] : [`${config.dataKeyFile}.previous`, `${config.dataKeyFile}.next`].filter(existsSync).map(keyFromFile);
  const previous = [...config.dataKeyPrevious.map(parseDataKey), ...leftovers].filter((k, i, all) => k.id !== current.id && all.findIndex((x) => x.id === k.id) === i);
  return { current, previous };
}
