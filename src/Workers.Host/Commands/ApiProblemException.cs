namespace Workers.Host.Commands;

/// <summary>The service answered 4xx/5xx; the verbs print the problem and exit 2.</summary>
internal sealed class ApiProblemException(ApiProblem problem) : Exception($"{problem.Status} {problem.Title}: {problem.Detail}")
{
    public ApiProblem Problem { get; } = problem;
}
