using Microsoft.Extensions.Hosting;
using Workers.Store;

namespace Workers.Service;

/// <summary>Creates or upgrades the store's schema before anything else starts.</summary>
internal sealed class StoreInitializer(ITurnStore store) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => store.InitializeAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
