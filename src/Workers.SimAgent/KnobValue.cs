using System.Globalization;

namespace Workers.SimAgent;

/// <summary>Parsing of knob values, shared by flags, environment variables and prompt directives.</summary>
internal static class KnobValue
{
    public static bool TryParseMilliseconds(string text, out double milliseconds) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out milliseconds)
        && milliseconds >= 0
        && double.IsFinite(milliseconds);

    public static bool TryParseCount(string text, out int count) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out count);

    public static bool TryParseBool(string text, out bool value)
    {
        switch (text.Trim().ToUpperInvariant())
        {
            case "TRUE" or "1" or "YES":
                value = true;
                return true;
            case "FALSE" or "0" or "NO":
                value = false;
                return true;
            default:
                value = false;
                return false;
        }
    }
}
