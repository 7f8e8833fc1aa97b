namespace Workers.SimAgent;

/// <summary>The injectable faults; their effect in each mode is described in specs/simagent.md.</summary>
internal enum FaultKind
{
    Crash,
    CrashOnce,
    Hang,
    Stop,
    Garbage,
    HalfJson,
    Oversized,
    StderrFlood,
    StderrNote,
    IgnoreEof,
    IgnoreSigterm,
    UnknownSession,
    Exit,
    Permission,
    ModelError,
    ApiRetry,
    EmptyFirstChunk,
    Flood,
    InvalidUtf8,
    StrayResponses,
    ForeignSession,
    Grow,
}
