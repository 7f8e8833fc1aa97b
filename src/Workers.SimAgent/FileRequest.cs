namespace Workers.SimAgent;

/// <summary>An ACP <c>fs/*</c> request a prompt asks the agent to make of its client (<c>[[sim-fs:read:/path]]</c>,
/// <c>[[sim-fs:read@2+3:/path]]</c>, <c>[[sim-fs:write:/path]]</c>): the hostile agent of the confinement tests, which asks for
/// whatever paths (and parts of files) it is told.</summary>
/// <param name="Operation"><c>read</c> or <c>write</c>.</param>
/// <param name="Path">The path exactly as the prompt names it (not checked, not normalised).</param>
/// <param name="Line">A read's <c>line</c> parameter, when the directive gives one (<c>@2</c>).</param>
/// <param name="Limit">A read's <c>limit</c> parameter, when the directive gives one (<c>+3</c>).</param>
internal sealed record FileRequest(string Operation, string Path, long? Line = null, long? Limit = null)
{
    /// <summary>What a write directive writes.</summary>
    public const string WrittenContent = "written by sim-agent";
}
