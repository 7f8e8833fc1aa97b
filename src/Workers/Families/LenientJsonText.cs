using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Workers.Families;

/// <summary>The text of a JSON string from an agent, whatever it holds. <see cref="JsonElement.GetString"/> throws on an escaped
/// lone surrogate (<c>"\ud83d"</c>): valid JSON, and what <c>JSON.stringify</c> writes for half of an emoji, so a Node agent
/// can send it; one such field would fail the whole turn as undecodable. Here a surrogate without its pair becomes U+FFFD,
/// the replacement that invalid UTF-8 bytes on stdout get too (<c>specs/security.md</c>, "Hostile agents").</summary>
internal static class LenientJsonText
{
    /// <summary>What a surrogate without its pair becomes.</summary>
    internal const char Replacement = '\uFFFD';

    /// <summary>The string's text; <paramref name="value"/> must be a JSON string.</summary>
    public static string Text(JsonElement value)
    {
        try
        {
            return value.GetString()!;
        }
        catch (InvalidOperationException)
        {
            return Decode(value.GetRawText());
        }
    }

    /// <summary>Unescapes a raw JSON string token (quotes included; its syntax already checked by the parser) and replaces
    /// every surrogate that is not half of a pair.</summary>
    internal static string Decode(string raw)
    {
        var text = new StringBuilder(raw.Length);
        for (var i = 1; i < raw.Length - 1; i++)
        {
            var c = raw[i];
            if (c != '\\')
            {
                text.Append(c);
                continue;
            }

            var escape = raw[++i];
            switch (escape)
            {
                case 'b': text.Append('\b'); break;
                case 'f': text.Append('\f'); break;
                case 'n': text.Append('\n'); break;
                case 'r': text.Append('\r'); break;
                case 't': text.Append('\t'); break;
                case 'u':
                    text.Append((char)ushort.Parse(raw.AsSpan(i + 1, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture));
                    i += 4;
                    break;
                default: text.Append(escape); break;
            }
        }

        return ReplaceLoneSurrogates(text);
    }

    private static string ReplaceLoneSurrogates(StringBuilder text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(text[i]))
            {
                text[i] = Replacement;
            }
        }

        return text.ToString();
    }
}
