namespace Workers.Host.Commands;

/// <summary>Runs a verb's conversation with the service and turns what can go wrong into a message on stderr and an
/// exit code, so every verb reports the service's answers the same way.</summary>
internal static class ServiceCall
{
    public static async Task<int> RunAsync(WorkersApiClient client, Func<Task<int>> call, CancellationToken cancellationToken)
    {
        try
        {
            return await call();
        }
        catch (ApiProblemException ex)
        {
            ex.Problem.WriteTo(Console.Error);
        }
        catch (HttpRequestException ex)
        {
            await Console.Error.WriteLineAsync($"workers: cannot reach the service at {client.BaseAddress}: {ex.Message}");
        }
        catch (Exception ex) when (ex is TimeoutException or InvalidDataException)
        {
            await Console.Error.WriteLineAsync($"workers: {client.BaseAddress}: {ex.Message}");
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return ExitCodes.Cancelled;
        }

        return ExitCodes.Error;
    }
}
