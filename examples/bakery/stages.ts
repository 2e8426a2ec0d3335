/** The production line, in order. */
export const STAGES = ["Filling", "Covering", "Decorating", "Packing", "Complete"] as const;
export type Stage = (typeof STAGES)[number];

/** The stage after `stage`, or undefined once an order is Complete. */
export function nextStage(stage: Stage): Stage | undefined {
  return STAGES[STAGES.indexOf(stage) + 1];
}

export function isStage(value: string): value is Stage {
  return (STAGES as readonly string[]).includes(value);
}
