using System.Runtime.InteropServices;

namespace Workers.SimAgent;

/// <summary>
/// SIGTERM/SIGINT handling. By default nothing is registered, so .NET's own behaviour (exit on either signal) holds, as the
/// real CLIs exit on them. The <c>ignore-sigterm</c> fault swallows both, for testing a host's escalation to SIGKILL.
/// </summary>
internal static class SignalPolicy
{
    // Registrations are unregistered when collected, so they must stay reachable for the life of the process.
    private static readonly List<PosixSignalRegistration> Registrations = [];

    public static void Apply(FaultPlan faults)
    {
        if (!faults.Has(FaultKind.IgnoreSigterm))
        {
            return;
        }

        foreach (var signal in (PosixSignal[])[PosixSignal.SIGTERM, PosixSignal.SIGINT])
        {
            Registrations.Add(PosixSignalRegistration.Create(signal, context =>
            {
                context.Cancel = true;
                Diagnostics.Note($"ignoring {context.Signal} (ignore-sigterm)");
            }));
        }
    }
}
