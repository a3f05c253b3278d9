// Embedded Swift needs `_Concurrency` imported explicitly wherever async code, `Task` or
// continuations appear; re-exporting it here gives every importer of MirageRuntime (libraries,
// applications and generated wiring) the same view on every target.
@_exported import _Concurrency
@_exported import MirageCore
