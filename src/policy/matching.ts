/**
 * Assignment of approvers to approval groups for `all_of` rules (DESIGN §1.3, "four eyes").
 *
 * Each approver may fill at most one slot; group `g` has `capacities[g]` slots (its `min`).
 * This is a bipartite b-matching, solved with augmenting paths (Kuhn's algorithm where a
 * group is a vertex with several slots). Greedy "first free group" assignment is not enough:
 * someone in two teams who happens to approve first can take the only group another approver
 * could have filled. Augmenting paths move earlier approvers to another group of theirs when
 * that lets a later approver in, so the result always has the largest possible number of
 * filled slots. Pure and deterministic: earlier approvers and earlier groups are preferred.
 */

/**
 * `candidates[i]` lists the group indices approver `i` may fill (in preference order);
 * `capacities[g]` is the number of slots of group `g`. Returns, for each approver, the group
 * they were assigned to, or null when they were not needed or could not be placed.
 * The number of non-null entries is the maximum achievable.
 */
export function assignToGroups(
  candidates: readonly (readonly number[])[],
  capacities: readonly number[],
): (number | null)[] {
  const assignment: (number | null)[] = candidates.map(() => null);
  // occupants[g]: approvers currently filling group g, in the order they were placed.
  const occupants: number[][] = capacities.map(() => []);

  const tryPlace = (approver: number, visited: boolean[]): boolean => {
    for (const group of candidates[approver] ?? []) {
      const capacity = capacities[group];
      const slots = occupants[group];
      if (capacity === undefined || slots === undefined || visited[group] === true) continue;
      // A group is visited at most once per search: its occupants have already been
      // offered the chance to move, so revisiting cannot find anything new.
      visited[group] = true;
      if (slots.length < capacity) {
        slots.push(approver);
        assignment[approver] = group;
        return true;
      }
      for (let slot = 0; slot < slots.length; slot += 1) {
        const occupant = slots[slot] as number;
        if (tryPlace(occupant, visited)) {
          // The occupant moved elsewhere (it already recorded its new group); take its slot.
          slots[slot] = approver;
          assignment[approver] = group;
          return true;
        }
      }
    }
    return false;
  };

  for (let approver = 0; approver < candidates.length; approver += 1) {
    tryPlace(
      approver,
      capacities.map(() => false),
    );
  }
  return assignment;
}
