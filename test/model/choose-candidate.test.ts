// The choice among cross-validated candidates: the least total loss over
// the folds, except that a fallback candidate (a kernel stage's "no kernel")
// stays unless the best beats it by more than one standard error of the
// paired per-fold differences, and never for a candidate that is worse
// than the fallback on one of the targets (energies, forces).
import { describe, expect, it } from 'vitest';
import { chooseCandidate } from '../../lib/model/training.js';

describe('chooseCandidate', () => {
  it('takes the least total loss and skips candidates that could not be solved', () => {
    expect(chooseCandidate([[3, 3], null, [1, 2], [2, 2]], -1)).toEqual({ index: 2 });
    expect(chooseCandidate([null, null], -1)).toEqual({ index: -1 });
  });

  it('keeps the fallback when the folds disagree about the gain', () => {
    // Fallback (index 1) per fold: 10, 10, 10; candidate 0 gains 5, -4, 1:
    // mean 0.67, standard error 2.6.
    expect(chooseCandidate([[5, 14, 9], [10, 10, 10]], 1)).toEqual({ index: 1 });
  });

  it('takes the best when every fold agrees it gains', () => {
    // gains 1, 1.2, 0.9: mean 1.03, standard error 0.09.
    expect(chooseCandidate([[9, 8.8, 9.1], [10, 10, 10]], 1)).toEqual({ index: 0 });
  });

  it('takes the fallback itself when it is the best, and the best when the fallback failed', () => {
    expect(chooseCandidate([[11, 12], [10, 10]], 1)).toEqual({ index: 1 });
    expect(chooseCandidate([[11, 12], null], 1)).toEqual({ index: 0 });
  });

  it('never takes a candidate that is worse than the fallback on one target', () => {
    // Candidate 0 has the least total and beats the fallback in every fold,
    // but its energy loss (first target) is above the fallback's: candidate 1,
    // better on both, is taken.
    const losses = [[8, 8, 8], [9, 9, 9.1], [10, 10, 10]];
    expect(chooseCandidate(losses, 2)).toEqual({ index: 0 });
    expect(chooseCandidate(losses, 2, [[4, 20], [2.9, 24.2], [3, 27]])).toEqual({ index: 1 });
    // Worse than the fallback on forces: the fallback stays.
    expect(chooseCandidate(losses, 2, [[4, 20], [0, 27.1], [3, 27]])).toEqual({ index: 2 });
    // Without a fallback the targets do not restrict the choice.
    expect(chooseCandidate(losses, -1, [[4, 20], [0, 27.1], [3, 27]])).toEqual({ index: 0 });
  });
});
