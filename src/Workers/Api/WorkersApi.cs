using Microsoft.AspNetCore.Builder;

namespace Workers.Api;

/// <summary>The HTTP API of the service (<c>specs/api.md</c>).</summary>
public static class WorkersApi
{
    public static WebApplication MapWorkersApi(this WebApplication app)
    {
        app.UseMiddleware<BearerTokenAuthentication>();
        app.MapHealth();
        app.MapTurns();
        app.MapConversations();
        app.MapPools();
        return app;
    }
}
