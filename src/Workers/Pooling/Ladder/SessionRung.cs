using Workers.Families;
using Workers.Turns;

namespace Workers.Pooling;

/// <summary>The session rung (<c>specs/pool.md</c>): what a leased process gives the turn, best first — the live session
/// of the conversation's last turn; a session the process already holds for this turn (pre-opened, or fixed at launch);
/// the conversation's session resumed on the live process; a new session. The family only carries out the step chosen
/// here (<see cref="IAgentConnection.OpenSessionAsync"/>), so every family follows the same order.</summary>
internal static class SessionRung
{
    /// <summary>The step the process carries out, and why the turn got less than it asked for, if it did.</summary>
    public sealed record Choice(SessionStep Step, string? FallbackReason = null);

    /// <exception cref="InvalidOperationException">The process cannot give the turn a session: the pool leased it for a
    /// turn it cannot serve (a bug of the process rungs, not of the agent).</exception>
    public static Choice Choose(SessionRequest request, SessionOffer offer)
    {
        if (!offer.HasSessions)
        {
            return new Choice(SessionStep.TakeWaiting, request.ResumeSessionId is null ? null : FallbackReasons.NoSessions);
        }

        if (request.ResumeSessionId is { } wanted && wanted == offer.LiveSessionId && request.WorkingDirectory == offer.LiveWorkingDirectory)
        {
            return new Choice(SessionStep.ReuseLive);
        }

        // A session resumed at launch serves only the turn it was resumed for; one opened fresh, a turn that resumes nothing.
        if (offer.Waiting is { } waiting && waiting.WorkingDirectory == request.WorkingDirectory
            && (waiting.Kind == StartKinds.Resumed ? waiting.SessionId == request.ResumeSessionId : request.ResumeSessionId is null))
        {
            return new Choice(SessionStep.TakeWaiting);
        }

        if (request.ResumeSessionId is not null && offer.CanResume)
        {
            return new Choice(SessionStep.Resume);
        }

        if (offer.CanOpen)
        {
            return new Choice(SessionStep.OpenNew, request.ResumeSessionId is null ? null : FallbackReasons.ResumeUnsupported);
        }

        throw new InvalidOperationException(
            $"The process holds {Describe(offer)} and can open no other; the turn asked for "
            + $"{(request.ResumeSessionId is null ? "a new session" : $"session {request.ResumeSessionId}")} in {request.WorkingDirectory}.");
    }

    /// <summary>Gives the turn its session: chooses from what the process offers, and has the process carry it out.</summary>
    /// <exception cref="StaleSessionException">The agent rejected the session the turn resumes.</exception>
    public static async Task<SessionOpened> OpenAsync(IAgentConnection connection, SessionRequest request, TurnContext turn,
        CancellationToken cancellationToken)
    {
        var choice = Choose(request, connection.SessionOffer);
        var opened = await connection.OpenSessionAsync(choice.Step, request, turn, cancellationToken);
        return choice.FallbackReason is null ? opened : opened with { FallbackReason = choice.FallbackReason };
    }

    private static string Describe(SessionOffer offer) =>
        offer.Waiting is { } waiting ? $"{waiting.Kind} session {waiting.SessionId ?? "(id not yet known)"} in {waiting.WorkingDirectory}"
        : offer.LiveSessionId is { } live ? $"live session {live} in {offer.LiveWorkingDirectory}"
        : "no session";
}
