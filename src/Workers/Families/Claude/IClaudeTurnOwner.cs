using Workers.Turns;

namespace Workers.Families.Claude;

/// <summary>What a turn's decoder may change on the process that runs the turn.</summary>
internal interface IClaudeTurnOwner
{
    /// <summary>Ends the running turn; later outcomes of the same turn are ignored.</summary>
    void CompleteTurn(TurnOutcome outcome);

    /// <summary>Keeps the process from serving another turn; called before the turn is completed, so the caller
    /// that sees the outcome also sees the process retired.</summary>
    void RetireProcess();
}
