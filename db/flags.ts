import { sql, type SQL } from 'drizzle-orm/sql';
import type { AnySQLiteColumn } from 'drizzle-orm/sqlite-core';

/** True where a `flags` column (a JSON list of strings, orders' or production rows') holds `flag`. */
export const hasFlag = (flags: AnySQLiteColumn, flag: string): SQL => sql`exists (select 1 from json_each(${flags}) where value = ${flag})`;
