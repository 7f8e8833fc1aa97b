namespace Workers.Families;

/// <summary>How a leased process gives a turn its session, as the session rung chose it.</summary>
public enum SessionStep
{
    /// <summary>The session of the process's last turn, as it is: <c>live</c>.</summary>
    ReuseLive,

    /// <summary>The session the process holds for the next turn (<see cref="SessionOffer.Waiting"/>): pre-opened, or
    /// fixed at launch.</summary>
    TakeWaiting,

    /// <summary>The conversation's session brought back on the live process: <c>resumed</c>.</summary>
    Resume,

    /// <summary>A new session on the live process: <c>new</c>.</summary>
    OpenNew,
}
