using System.Globalization;
using Workers.ModelStub;

// Standalone: `dotnet run --project tests/Workers.ModelStub -- [--port N] [--first-token-ms N] [--tokens N] [--token-ms N]`.
// Prints the base URL, then one line per request received, until stopped.
var options = new StubOptions
{
    FirstTokenDelay = TimeSpan.FromMilliseconds(Arg("--first-token-ms", 300)),
    Tokens = Arg("--tokens", 8),
    TokenInterval = TimeSpan.FromMilliseconds(Arg("--token-ms", 10)),
};
await using var stub = await ModelStubServer.StartAsync(options, Arg("--port", 0));
Console.WriteLine(stub.Url);
using var stop = new CancellationTokenSource();
// Ctrl+C or SIGTERM stops it.
using var sigint = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGINT, Stop);
using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, Stop);
var seen = 0;
while (!stop.IsCancellationRequested)
{
    var requests = stub.Requests;
    foreach (var request in requests.Skip(seen))
    {
        Console.WriteLine($"{request.At:HH:mm:ss.fff} {request.Method} {request.Path}{request.Query} {request.Api} {request.Status} {request.Body.Length} bytes");
        if (Environment.GetEnvironmentVariable("STUB_LOG_BODIES") == "1")
        {
            Console.WriteLine(request.Body);
        }
    }

    seen = requests.Count;
    await Task.Delay(100, CancellationToken.None).ContinueWith(_ => { }, TaskScheduler.Default);
}

void Stop(System.Runtime.InteropServices.PosixSignalContext context)
{
    context.Cancel = true;
    stop.Cancel();
}

int Arg(string name, int fallback)
{
    var index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length ? int.Parse(args[index + 1], CultureInfo.InvariantCulture) : fallback;
}
