using System.Net;
using Microsoft.Extensions.Options;

namespace Workers.Service;

/// <summary>Reads <see cref="ServiceOptions.KnownProxies"/>: each entry an address or a network in CIDR notation. Checked
/// at start-up, so a typo stops the service naming the entry instead of silently trusting nobody.</summary>
internal sealed class KnownProxies : IValidateOptions<ServiceOptions>
{
    public static IReadOnlyList<IPNetwork> Parse(IEnumerable<string> entries) =>
        entries.Select(e => TryParse(e, out var network) ? network
            : throw new ArgumentException($"'{e}' is neither an IP address nor a network", nameof(entries))).ToList();

    public ValidateOptionsResult Validate(string? name, ServiceOptions options)
    {
        var bad = options.KnownProxies.Where(e => !TryParse(e, out _)).ToList();
        return bad.Count == 0
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail(
                $"Workers:Service:KnownProxies: {string.Join(", ", bad.Select(b => $"'{b}'"))} is neither an IP address (10.0.0.7) "
                + "nor a network in CIDR notation (10.0.0.0/8).");
    }

    /// <summary>An address is the network of that one address.</summary>
    private static bool TryParse(string entry, out IPNetwork network)
    {
        if (IPAddress.TryParse(entry, out var address))
        {
            network = new IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128);
            return true;
        }

        return IPNetwork.TryParse(entry, out network);
    }
}
