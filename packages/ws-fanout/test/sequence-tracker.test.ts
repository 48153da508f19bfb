import t from 'tap'
import { SequenceTracker } from '../src/sequence-tracker.js'

t.test('next, gaps counted as lost, duplicates dropped, per origin and topic', async (t) => {
  const tracker = new SequenceTracker()
  t.equal(tracker.see('a', 'room', 5), 'next', 'the first seen from an origin starts its count')
  t.equal(tracker.see('a', 'room', 6), 'next')
  t.equal(tracker.see('a', 'room', 9), 'gap', '7 and 8 never came')
  t.equal(tracker.lost, 2)
  t.equal(tracker.see('a', 'room', 9), 'duplicate')
  t.equal(tracker.see('a', 'room', 3), 'duplicate', 'older than the last')
  t.equal(tracker.duplicates, 2)
  t.equal(tracker.see('a', 'other', 1), 'next', 'another topic counts on its own')
  t.equal(tracker.see('b', 'room', 1), 'next', 'another origin counts on its own')
  t.equal(tracker.see('a', 'room', 10), 'next')
  t.equal(tracker.lost, 2)
  t.equal(tracker.size, 3)
})

t.test('at most capacity pairs: the oldest is forgotten', async (t) => {
  const tracker = new SequenceTracker(2)
  tracker.see('a', 'x', 1)
  tracker.see('b', 'x', 1)
  tracker.see('c', 'x', 1)
  t.equal(tracker.size, 2)
  t.equal(tracker.see('a', 'x', 7), 'next', 'a was forgotten: its next message starts again, no loss counted')
  t.equal(tracker.lost, 0)
  t.equal(tracker.see('c', 'x', 1), 'duplicate', 'c is still remembered')
  tracker.see('d', 'y', 1)
  t.equal(tracker.size, 2, 'a second topic: the oldest pair of the oldest topic went')
  t.equal(tracker.see('a', 'x', 7), 'duplicate', 'a on x, the newer pair, is remembered')
  t.equal(tracker.see('c', 'x', 1), 'next', 'c on x, the oldest, was forgotten')
  t.throws(() => new SequenceTracker(0), RangeError)
  t.throws(() => new SequenceTracker(1.5), RangeError)
})

t.test('forget: a topic listened to again starts afresh', async (t) => {
  const tracker = new SequenceTracker()
  tracker.see('a', 'room', 1)
  tracker.see('b', 'room', 1)
  tracker.see('a', 'other', 1)
  tracker.forget('room')
  tracker.forget('nothing')
  t.equal(tracker.size, 1)
  t.equal(tracker.see('a', 'room', 50), 'next', 'what was published meanwhile is not lost')
  t.equal(tracker.lost, 0)
  t.equal(tracker.see('a', 'other', 3), 'gap', 'the other topic still counts')
})

t.test('eviction takes the least recently seen pair', async (t) => {
  const tracker = new SequenceTracker(2)
  tracker.see('a', 'x', 1)
  tracker.see('b', 'x', 1)
  tracker.see('a', 'x', 2) // a is now the most recent
  tracker.see('c', 'y', 1) // evicts b
  t.equal(tracker.see('a', 'x', 2), 'duplicate', 'a kept')
  t.equal(tracker.see('b', 'x', 1), 'next', 'b forgotten')
})
