import { assignToGroups } from "../../src/policy/matching.js";

/** Slots used per group, to check an assignment respects the capacities. */
function loads(assignment: (number | null)[], groups: number): number[] {
  const out = new Array<number>(groups).fill(0);
  for (const group of assignment) if (group !== null) out[group] = (out[group] ?? 0) + 1;
  return out;
}

/** Exhaustive maximum for small inputs: the reference the augmenting paths must reach. */
function bruteForceMaximum(candidates: number[][], capacities: number[]): number {
  let best = 0;
  const load = capacities.map(() => 0);
  const walk = (index: number, placed: number): void => {
    if (index === candidates.length) {
      best = Math.max(best, placed);
      return;
    }
    walk(index + 1, placed);
    for (const group of candidates[index] ?? []) {
      if ((load[group] ?? 0) < (capacities[group] ?? 0)) {
        load[group] = (load[group] ?? 0) + 1;
        walk(index + 1, placed + 1);
        load[group] = (load[group] ?? 0) - 1;
      }
    }
  };
  walk(0, 0);
  return best;
}

describe("assignToGroups", () => {
  test.each<{
    name: string;
    candidates: number[][];
    capacities: number[];
    expected: (number | null)[];
  }>([
    { name: "no approvers", candidates: [], capacities: [1, 1], expected: [] },
    { name: "no groups", candidates: [[], []], capacities: [], expected: [null, null] },
    { name: "one approver, one group", candidates: [[0]], capacities: [1], expected: [0] },
    {
      name: "earlier approver is moved so a later one fits",
      candidates: [[0, 1], [0]],
      capacities: [1, 1],
      expected: [1, 0],
    },
    {
      name: "a person in both groups alone fills one slot only",
      candidates: [[0, 1]],
      capacities: [1, 1],
      expected: [0],
    },
    {
      name: "greedy fails, matching succeeds (three groups, nested membership)",
      candidates: [[0, 1, 2], [0, 1], [0]],
      capacities: [1, 1, 1],
      expected: [2, 1, 0],
    },
    {
      name: "capacity above one takes several approvers",
      candidates: [[0], [0], [0]],
      capacities: [2],
      expected: [0, 0, null],
    },
    {
      name: "chain of two moves",
      candidates: [[0, 1], [1, 2], [0]],
      capacities: [1, 1, 1],
      expected: [1, 2, 0],
    },
    {
      name: "surplus approver stays unassigned when nothing can move",
      candidates: [[0], [0], [1]],
      capacities: [1, 1],
      expected: [0, null, 1],
    },
    {
      name: "out-of-range group indices are ignored",
      candidates: [[5, 0]],
      capacities: [1],
      expected: [0],
    },
  ])("$name", ({ candidates, capacities, expected }) => {
    const assignment = assignToGroups(candidates, capacities);
    expect(assignment).toEqual(expected);
    const used = loads(assignment, capacities.length);
    used.forEach((load, group) => expect(load).toBeLessThanOrEqual(capacities[group] ?? 0));
    assignment.forEach((group, approver) => {
      if (group !== null) expect(candidates[approver]).toContain(group);
    });
  });

  test("always reaches the maximum on pseudo-random small instances", () => {
    // A fixed LCG keeps the test deterministic while covering many shapes.
    let seed = 12345;
    const next = (limit: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % limit;
    };
    for (let round = 0; round < 300; round += 1) {
      const groups = 1 + next(4);
      const capacities = Array.from({ length: groups }, () => 1 + next(3));
      const candidates = Array.from({ length: next(7) }, () =>
        Array.from({ length: groups }, (_, group) => group).filter(() => next(2) === 1),
      );
      const assignment = assignToGroups(candidates, capacities);
      const placed = assignment.filter((group) => group !== null).length;
      expect(placed).toBe(bruteForceMaximum(candidates, capacities));
      loads(assignment, groups).forEach((load, group) =>
        expect(load).toBeLessThanOrEqual(capacities[group] ?? 0),
      );
      assignment.forEach((group, approver) => {
        if (group !== null) expect(candidates[approver]).toContain(group);
      });
    }
  });
});
