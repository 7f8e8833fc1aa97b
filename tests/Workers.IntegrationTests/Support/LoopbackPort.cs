using System.Net;
using System.Net.Sockets;

namespace Workers.IntegrationTests.Support;

/// <summary>A free TCP port on 127.0.0.1 (bound to 0, read back, released) for a server a test starts.</summary>
public static class LoopbackPort
{
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
