// humanDurationChangesAt lets `ps` keep a Status text until then: the text must be the same over
// the whole interval it names (never late), and the interval must move forward.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { humanDuration, humanDurationChangesAt } from './human-duration.js';

test('the text stays the same from any elapsed time until the time it may change', () => {
  const samples: number[] = [0, 1, 999, 1000, 1999, 59_999, 60_000, 119_999, 3_599_999, 3_600_000, 5_399_999, 5_400_000, 172_800_000, 1_209_600_000];
  for (let ms = 0; ms < 3 * 365 * 86_400_000; ms = Math.floor(ms * 1.37) + 977) samples.push(ms);
  for (const ms of samples) {
    const at = humanDurationChangesAt(ms);
    assert.ok(at > ms, `changesAt(${ms}) = ${at}`);
    assert.equal(humanDuration(at - 1), humanDuration(ms), `between ${ms} and ${at - 1}`);
  }
});

test('it is exact where the text does change', () => {
  for (const [ms, next] of [
    [500, 'Less than a second'],
    [59_000, 'About a minute'],
    [60_000, '2 minutes'],
    [3_540_000, 'About an hour'],
    [5_399_999, '2 hours'],
    [9_000_000, '4 hours'],
  ] as const) {
    const at = humanDurationChangesAt(ms);
    if (ms === 500) assert.equal(humanDuration(at), '1 second');
    else assert.equal(humanDuration(at), next);
  }
});
