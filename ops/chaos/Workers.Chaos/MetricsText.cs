using System.Globalization;
using System.Text.RegularExpressions;

namespace Workers.Chaos;

/// <summary>Reads series out of the Prometheus text format that <c>/metrics</c> answers.</summary>
internal static partial class MetricsText
{
    /// <summary>The values of <paramref name="metric"/> whose labels include <paramref name="label"/>=<paramref name="value"/>,
    /// by the value of <paramref name="by"/>.</summary>
    public static Dictionary<string, double> ByLabel(string text, string metric, string label, string value, string by)
    {
        var values = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n'))
        {
            if (!line.StartsWith(metric + "{", StringComparison.Ordinal))
            {
                continue;
            }

            var close = line.LastIndexOf('}');
            var labels = Label().Matches(line[(metric.Length + 1)..close]).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);
            if (labels.GetValueOrDefault(label) == value && labels.TryGetValue(by, out var key))
            {
                values[key] = values.GetValueOrDefault(key) + double.Parse(line[(close + 1)..].Trim(), CultureInfo.InvariantCulture);
            }
        }

        return values;
    }

    /// <summary>The value of an unlabelled series, or null.</summary>
    public static double? Single(string text, string metric)
    {
        var line = text.Split('\n').FirstOrDefault(l => l.StartsWith(metric + " ", StringComparison.Ordinal));
        return line is null ? null : double.Parse(line[(metric.Length + 1)..].Trim(), CultureInfo.InvariantCulture);
    }

    [GeneratedRegex(""""(\w+)="((?:[^"\\]|\\.)*)"""")]
    private static partial Regex Label();
}
