import { z } from 'zod';
import { idParam, multiLine, parseInput, singleLine } from '../../src/input.ts';

/** `take`: which printer group, and who takes it (API body and CLI options alike). */
export const takeRequestSchema = z.strictObject({ group: singleLine(64).optional(), by: singleLine(64).optional() });
/** `failed`: why the print failed. */
export const failedRequestSchema = z.strictObject({ reason: multiLine(500).optional() });

export const parseTakeRequest = (input: unknown) => parseInput(takeRequestSchema, input ?? {}, 'body');
export const parseFailedRequest = (input: unknown) => parseInput(failedRequestSchema, input ?? {}, 'body');
export const parseProductionId = (input: unknown) => parseInput(idParam, input, 'id');
