import type { OrderIntake } from './poll.ts';

/** Several features' intakes as one: each stages inside the page transaction, all flush after it. */
export function combineIntakes(intakes: OrderIntake[]): OrderIntake | undefined {
  if (intakes.length === 0) return undefined;
  return {
    stage: (db, changes) => intakes.forEach((i) => i.stage(db, changes)),
    flush: async () => void (await Promise.all(intakes.map((i) => i.flush()))),
  };
}
