import { strFromU8, unzipSync } from 'fflate';
import { errorMessage } from '../../src/errors.ts';
import type { AmazonClient } from './client.ts';
import type { AmazonCustomization, AmazonOrder } from './wire.ts';

/** A ZIP bigger than this is not a customization file; refusing it keeps memory bounded. */
const MAX_ARCHIVE_BYTES = 20 * 1024 * 1024;

interface Area {
  customizationType?: string;
  name?: string;
  label?: string;
  text?: string;
  optionValue?: string;
}

/** Areas of the `version3.0` document (also found nested under `customizationInfo`). */
function surfacesOf(doc: Record<string, unknown>): { areas?: Area[] }[] | undefined {
  const v3 = (doc['version3.0'] ?? (doc.customizationInfo as Record<string, unknown> | undefined)?.['version3.0']) as
    | { customizationInfo?: { surfaces?: { areas?: Area[] }[] }; surfaces?: { areas?: Area[] }[] }
    | undefined;
  return v3?.customizationInfo?.surfaces ?? v3?.surfaces;
}

/** The older `customizationData` tree: TextCustomization nodes hold `inputValue`. */
function legacyTexts(node: unknown, out: { label: string; text: string }[] = []) {
  if (!node || typeof node !== 'object') return out;
  const n = node as { type?: string; label?: string; name?: string; inputValue?: unknown; children?: unknown[] };
  if (n.type === 'TextCustomization' && typeof n.inputValue === 'string') out.push({ label: n.label ?? n.name ?? 'Text', text: n.inputValue });
  for (const child of n.children ?? []) legacyTexts(child, out);
  return out;
}

/**
 * What the buyer entered, from the JSON inside an Amazon Custom ZIP: every TextPrinting area's
 * text, verbatim (it gets printed), and every Options choice.
 */
export function parseCustomizationArchive(zip: Uint8Array): AmazonCustomization {
  const files = unzipSync(zip, { filter: (f) => f.name.toLowerCase().endsWith('.json') && f.originalSize < MAX_ARCHIVE_BYTES });
  const names = Object.keys(files);
  if (names.length === 0) return { error: 'the customization archive holds no JSON file' };
  const texts: { label: string; text: string }[] = [];
  const options: Record<string, string> = {};
  for (const name of names) {
    let doc: Record<string, unknown>;
    try {
      doc = JSON.parse(strFromU8(files[name]!)) as Record<string, unknown>;
    } catch (err) {
      return { error: `${name} is not JSON (${errorMessage(err)})` };
    }
    const surfaces = surfacesOf(doc);
    if (surfaces) {
      for (const area of surfaces.flatMap((s) => s.areas ?? [])) {
        const label = area.label ?? area.name ?? 'Text';
        if (area.customizationType === 'TextPrinting' && typeof area.text === 'string') texts.push({ label, text: area.text });
        else if (area.customizationType === 'Options' && typeof area.optionValue === 'string') options[label] = area.optionValue;
      }
    } else {
      texts.push(...legacyTexts(doc.customizationData));
    }
  }
  return { texts, options: Object.keys(options).length ? options : undefined };
}

const customizedLines = (order: AmazonOrder) => (order.orderItems ?? []).filter((i) => i?.product?.customization?.customizedUrl);

/** True when the order has Amazon Custom lines, whose files must be downloaded. */
export const hasCustomizedLines = (order: AmazonOrder) => customizedLines(order).length > 0;

/**
 * Downloads and reads the customization file of every Amazon Custom line of an order. A download
 * that fails (network, 5xx, an expired link) leaves the line `pending`: the order is stored at once
 * and its print work held while the re-read job tries again. Only an archive that arrived and cannot
 * be read is an `error` (the order is quarantined, never printed blank). Nothing here stops the page.
 */
export async function readCustomizations(
  client: AmazonClient,
  order: AmazonOrder,
  alreadyRead?: (orderId: string, orderItemId: string) => AmazonCustomization | undefined,
): Promise<Record<string, AmazonCustomization> | undefined> {
  const custom = customizedLines(order);
  if (custom.length === 0) return undefined;
  const out: Record<string, AmazonCustomization> = {};
  await Promise.all(
    custom.map(async (item) => {
      // A file read once (an earlier version of the order) is never downloaded again: the buyer's
      // text cannot change after the purchase, and a restart loop must not spend the downloads again.
      const known = alreadyRead?.(order.orderId, item.orderItemId);
      if (known) {
        out[item.orderItemId] = known;
        return;
      }
      let zip: Uint8Array;
      try {
        zip = await client.download(item.product.customization!.customizedUrl!);
      } catch (err) {
        out[item.orderItemId] = { pending: `customization file not downloaded yet: ${errorMessage(err)}` };
        return;
      }
      try {
        if (zip.byteLength > MAX_ARCHIVE_BYTES) throw new Error(`the archive is ${zip.byteLength} bytes`);
        out[item.orderItemId] = parseCustomizationArchive(zip);
      } catch (err) {
        out[item.orderItemId] = { error: `customization file could not be read: ${errorMessage(err)}` };
      }
    }),
  );
  return out;
}

/** True when any Amazon Custom line of the raw order still waits for its file. */
export const customizationPending = (customizations: Record<string, AmazonCustomization> | undefined) =>
  Object.values(customizations ?? {}).some((c) => c.pending !== undefined);
