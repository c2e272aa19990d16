"""A goroutine that Go's leak profile saw leak in the package's tests (`gofixleak test`).

What it finds
-------------
`gofixleak test` runs the packages' tests with Go's leak detector
(`GOEXPERIMENT=goroutineleakprofile`, Go 1.26 and later) and collects its profile after every
test of the test binary has returned, parallel ones included. Each goroutine it lists is blocked
on a channel or a `sync` primitive that no live goroutine can reach: it can never run again. The
finding is at the blocking operation in the module's own code (the first frame inside the module,
skipping the runtime, `testing`, the standard library and other modules), with the number of
goroutines stuck there, where they were started, and the test that started them.

A test binary that never finishes (Go's `all goroutines are asleep - deadlock!`, or the
`-timeout` panic) prints every goroutine's stack instead; the goroutines blocked there are
reported too, as those of a test that never returns.

Why it leaks
------------
The garbage collector proves it: nothing that still runs can send on the channel, close it,
unlock the mutex or call `Done`, so the goroutine, its stack and everything it references stay in
memory until the process ends. Unlike the static rules, this is not a guess about what the code
might do: a test made it happen.

Example
-------
    func Wait() {
        ch := make(chan int)
        go func() {
            fmt.Println(<-ch) // TestWait calls Wait: one goroutine is stuck here
        }()
    }

    $ gofixleak test ./...
    leaky.go:51:3: runtime-leak: 1 goroutine leaked, blocked in chan receive: started at
    leaky.go:50 by TestWait; orphaned-receiver explains it

Fixed
-----
No fix of its own. When a static rule reports the same goroutine (its finding is then marked
confirmed), that rule's fix is offered here too; `gofixleak --diff --verify-tests` applies it
and proves it with the same tests: the goroutines leaked at the site before and after the fix.

Fix safety
----------
The fix offered is the static rule's, with that rule's safety; see `gofixleak explain RULE`.
`--verify-tests` drops a fix after which the tests still leak at its site, or leak somewhere new
in the package.

Limitations
-----------
- Only what the tests exercise is seen, and a leak that depends on scheduling may not show on
  every run (`--count N` runs each test binary N times and says how often each site leaked).
- Not leaks to the profile: goroutines that a ticker, a timer or `time.Sleep` keeps waking,
  goroutines blocked on I/O or spinning, and goroutines still reachable from a global variable
  or from a goroutine that still runs. Go 1.26.8's profile also misses a goroutine blocked
  sending a variable its closure captured (`go func() { out <- n }()`).
- Goroutines started by package initialization (`init`) are not reported: they live as long as
  the program.
- A package whose `TestMain` does not call `m.Run()` itself (`goleak.VerifyTestMain(m)`) is not
  collected; `gofixleak test` says so.
- Never run by a plain `gofixleak` check, so a `//gofixleak:ignore runtime-leak reason`
  directive is never reported as unused.

References
----------
- https://go.dev/doc/go1.26 (release notes: the `goroutineleak` profile, an experiment)
- https://github.com/golang/go/issues/74609 (the proposal) and
  https://go.googlesource.com/proposal/+/HEAD/design/74609-goroutine-leak-detection-gc.md
- Saioc et al., "Dynamic Partial Deadlock Detection and Recovery via Garbage Collection",
  ASPLOS 2025 (Golf, the detector's design)
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from gofixleak.model import Finding, RuleInfo
from gofixleak.source import SourceFile

RULE = RuleInfo(name="runtime-leak", doc=__doc__ or "")
# Found by running the tests (gofixleak/oracle), never by reading a file: a plain check does not
# run this rule, so a directive naming it is known but never judged unused.
STATIC = False
PREFILTER = re.compile(rb"(?!)")  # matches nothing: there is nothing to look for in the source


def detect(src: SourceFile) -> Iterator[Finding]:
    return iter(())
