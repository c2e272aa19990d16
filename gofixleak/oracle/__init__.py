"""The runtime oracle: Go's own leak detector run on the packages' tests (``gofixleak test``),
joined with the static rules, and proving fixes (``--verify-tests``).

Go 1.26 built with ``GOEXPERIMENT=goroutineleakprofile`` gives a test binary the
``goroutineleak`` profile: writing it runs a garbage collection that marks the goroutines
blocked on a channel or a sync primitive that no live goroutine can reach. Those are sound
reports: such a goroutine can never run again. The design, module by module:

- **When to collect** (inject.py). After ``m.Run()`` returns: by then every test of the binary
  has returned, parallel ones included. The collector goes in through ``go test -overlay`` and
  the checkout is never touched: a generated ``_test.go`` of the internal test package with a
  ``TestMain`` when the package has none; when it has one (in the internal or the external test
  package; a binary has only one), a copy of that file in which each ``m.Run()`` of TestMain's
  parameter reads ``gofixleakOracleRun(m)``, on the same line, so ``os.Exit(m.Run())``,
  ``code := m.Run()`` and several returns all work and the stacks keep pointing at the user's
  lines. A ``TestMain`` that never calls ``m.Run()`` itself (``goleak.VerifyTestMain(m)``) cannot
  be collected; the package says so. The profile is appended, after a marker line, to
  ``<dir>/<key>.txt``, the directory named by ``$GOFIXLEAK_LEAK_PROFILE``.
- **Running** (gotest.py). One ``go test -json -count=1 -timeout D`` per module, from its root,
  over all its packages with tests, so Go builds and runs them in parallel; ``--count N`` repeats
  it. Each package's outcome comes from the JSON events: build failure, failing tests, the
  ``-timeout`` panic or Go's ``all goroutines are asleep - deadlock!`` (both print every
  goroutine; that dump is parsed and its blocked goroutines reported), or its profile.
- **Whose goroutine** (stacks.py). ``GODEBUG=tracebackancestors`` makes every stack list the
  stacks of the goroutines that started it; the test is the function ``testing.tRunner`` called
  in that lineage (or in the creators still present in a dump).
- **Where** (sites.py). A goroutine's site is its first frame in the module's own code; a
  goroutine entirely in other code is placed at its ``go`` statement; goroutines waiting inside
  ``testing`` itself, and those started by package initialization, are not reported.
- **Joined** (report.py). A static finding explains a site when the site's blocking line, or the
  ``go`` statement that started it, lies in the finding's lines or its related places: the
  finding is marked confirmed, and the ``runtime-leak`` finding names the rule and offers its
  fix. Sites no rule explains are summed up by blocking operation.
- **Proof** (proof.py). ``--verify-tests`` runs the affected packages' tests under the profile
  without and with the fixes and reports, per fix, the goroutines leaked at its site before and
  after; a fix that leaves its leak, or adds one anywhere in the package, is dropped.
- **Toolchain** (toolchain.py). ``go`` 1.26 or later with the experiment; otherwise
  ``gofixleak test`` stops with a one-line error and ``--verify-tests`` falls back to its plain
  ``go test`` with a note.
"""
