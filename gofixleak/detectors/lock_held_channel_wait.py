"""A channel operation blocks while holding a mutex that every counterpart of the operation needs.

What it finds
-------------
A send, a receive, a `range` over a channel, or a `select` with no `default` whose every case is
such an operation, made while the function holds a mutex (`x.mu.Lock()` ... `x.mu.Unlock()`,
`defer x.mu.Unlock()`, an embedded `sync.Mutex`'s `x.Lock()`, an `RWMutex`'s `Lock` or
`RLock`), where every counterpart of the operation in the package needs that same mutex: every
receiver and closer of a channel it sends on, every sender and closer of a channel it receives
from. A counterpart needs the mutex when it is made while holding it, or when the goroutine that
makes it takes the mutex somewhere in its run (in the function that holds the operation, in
the same-package functions that function calls, or in the callers of a function that is only
ever called, by name, from the package). Writers exclude everyone; two readers of an `RWMutex`
do not exclude each other.

The channel is an unbuffered one the package sees whole: an unexported field of a struct type,
stored only from `make(chan T)` and selected from variables of that type, with the mutex a field
(or the embedded mutex) of the same variable; or a local channel with a local mutex of the same
function (and the literals it holds); or any of these with a package-level mutex. "The same
mutex" is proven by the variable: `s.ch` and `s.mu` of one `s`, never reassigned in the
function.

Why it leaks
------------
While the goroutine waits on the channel it keeps the mutex. The goroutine that should take the
value, send one or close the channel first has to take the mutex, and waits for it forever:
both goroutines are stuck, and so is every goroutine that needs the mutex after them. When the
counterpart makes its operation while holding the mutex, the two operations can never meet, and
the wait blocks whenever it is reached; when the counterpart takes the mutex elsewhere in its
run (a loop that takes it between two receives, a shutdown branch that takes it before it
closes), the wait blocks on the schedules that find the counterpart there.

Example
-------
    type Status struct {
        mu      sync.Mutex
        updates chan bool
    }

    func (s *Status) Set() {
        s.mu.Lock()
        defer s.mu.Unlock()
        s.updates <- true // the receiver below may be waiting for s.mu
    }

    func (s *Status) sync() {
        for range s.updates {
            s.mu.Lock() // between two receives: Set holds it and waits for us
            s.mu.Unlock()
        }
    }

Fixed
-----
No automatic fix. Send (or wait) after releasing the mutex:

    func (s *Status) Set() {
        s.mu.Lock()
        // ... update what the mutex guards ...
        s.mu.Unlock()
        s.updates <- true
    }

Fix safety
----------
No fix is offered: every fix moves a critical section. Releasing the mutex before the channel
operation lets other goroutines change the guarded state in between, buffering the channel
changes when values are delivered, and a non-blocking send drops values; which one keeps the
program correct depends on what the mutex guards.

Limitations
-----------
- Buffered channels are not reported (whether the wait blocks depends on the buffer's fill);
  nor are channels or mutexes passed as arguments, returned, stored in other fields or reached
  through longer paths (`a.b.ch`, `xs[i].ch`), nor exported fields: code out of view could be a
  counterpart that needs no mutex.
- The mutex must be held in the function that waits (a helper called with the mutex held is
  not followed up to its callers) and be proven held on every path to the wait; an unlock
  through a function value, or any call of a function value, ends what is known to be held.
- A counterpart's goroutine is followed down into same-package calls and up through the callers
  of unexported functions called only by name; goroutines started with `go`, function values
  and interface calls are not followed, so such a counterpart counts as free and the rule stays
  silent.
- That a counterpart's goroutine can be at its `Lock` while the wait holds the mutex is assumed,
  not proven: when other synchronisation makes the goroutine take the mutex only before the wait
  can start (a start-up step signalled done), the report is a false alarm.
- `sync.Cond`, `TryLock`, `goto` and `fallthrough` are not followed (the mutex counts as not held).

References
----------
- GoBench / GoKer "Channel & Lock" blocking bugs (CGO 2021): grpc#1460, kubernetes#10182,
  etcd#6873 (7618fdd), istio#16224, kubernetes#6632.
- https://go.dev/ref/mem (a mutex is released only by its Unlock)
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from gofixleak import prefilter, syntax
from gofixleak.detectors._locked.counterparts import Proof, may_prove, owners, prove
from gofixleak.detectors._locked.waits import Wait, blocking_waits
from gofixleak.facts import locks
from gofixleak.facts.field_names import channel_field_names
from gofixleak.facts.package import GoPackage
from gofixleak.model import Finding, Related, RuleInfo
from gofixleak.source import SourceFile, span_of

RULE = RuleInfo(name="lock-held-channel-wait", doc=__doc__ or "")
# A lock taken and a channel operation in the same file: the wait's function holds both.
PREFILTER = prefilter.LOCKED_CHANNEL_WAIT

_RELATED_COUNTERPARTS = 4  # counterparts shown beside a finding


def _waits_in_package(data: bytes, package: GoPackage) -> bool:
    """A file that spells no ``<-`` waits only in a ``range``: over a local channel (made in the
    file: ``make(chan``) or over a field ``x.f`` that some file of the package declares with a
    channel type (a name :func:`~gofixleak.facts.field_names.channel_field_names` lists). Most
    files that lock and range range over slices: they are not parsed for this rule."""
    if b"<-" in data or prefilter.MAKE_CHAN.search(data):
        return True
    ranged = _RANGED_FIELD.findall(data)
    return bool(ranged) and not channel_field_names(package).isdisjoint(ranged)


PACKAGE_PREFILTER = _waits_in_package
_RANGED_FIELD = re.compile(
    rb"range\s+[A-Za-z0-9_\x80-\xff]+\s*\.\s*([A-Za-z0-9_\x80-\xff]+)"
)

# In Lock(, RLock( and the helpers that wrap them (lock(, rlock(); the prefilter's condition too.
_LOCKING = b"ock("


def detect(src: SourceFile) -> Iterator[Finding]:
    for function in syntax.descendants(src.root, *syntax.FUNCTIONS):
        if _LOCKING not in src.text(function):
            continue  # it calls no Lock (nor a helper lock()): it holds nothing
        for wait in blocking_waits(src, function):
            if not may_prove(src, wait):
                continue  # no mutex held could make it a deadlock: the walk is spared
            among = owners(src, function, wait)
            for hold in sorted(locks.held(src, function, wait.node, among), key=str):
                proof = prove(src, function, wait, hold)
                if proof is not None:
                    yield _finding(src, wait, proof)
                    break


def _finding(src: SourceFile, wait: Wait, proof: Proof) -> Finding:
    lock = str(proof.hold.place)
    roles = " and ".join(sorted({_ROLES[c.operation.kind] for c in proof.counterparts}))
    who = sorted({c.where for c in proof.counterparts})
    message = (
        f"{wait.verb} {', '.join(proof.channels)} while holding {lock}, and every {roles} of "
        f"{'it' if len(proof.channels) == 1 else 'them'} needs {lock} too "
        f"({', '.join(who)}): deadlock"
    )
    related = [Related(span_of(proof.locked), f"{lock} is locked here")] if proof.locked else []
    for counterpart in proof.counterparts[:_RELATED_COUNTERPARTS]:
        op = counterpart.operation
        path = op.src.path if op.src.path != src.path else None
        related.append(Related(span_of(op.node), counterpart.explanation, path))
    return Finding(
        rule=RULE.name,
        path=src.path,
        span=span_of(wait.node),
        message=message,
        related=tuple(related),
    )


_ROLES = {"send": "sender", "receive": "receiver", "range": "receiver", "close": "closer"}
