using Microsoft.Extensions.Options;

namespace Workers.Service;

/// <summary>Checks at start-up that <see cref="ServiceOptions.MaxRequestBodyBytes"/> holds the largest body a valid turn
/// can have under the other limits, so that no request the field limits accept is cut at 413 (<c>specs/api.md</c>,
/// "Limits").</summary>
/// <remarks>A UTF-8 byte of text can take up to 6 bytes as a JSON escape (<c>&lt;</c> is <c>\u003C</c> under the default
/// encoder of System.Text.Json), so prompt and transcript count 6 times; each transcript entry adds its envelope
/// (<c>{"role":"assistant","text":""},</c> and some spacing); metadata counts as sent; the rest (ids, profile, a cwd of up
/// to 4096 bytes escaped, deadline, names, punctuation) is a fixed allowance.</remarks>
internal sealed class RequestBodyLimit : IValidateOptions<ServiceOptions>
{
    public const int EscapeFactor = 6;
    public const int EntryEnvelopeBytes = 64;
    public const int OtherFieldsBytes = 32 * 1024;

    /// <summary>The largest body the limits other than <see cref="ServiceOptions.MaxRequestBodyBytes"/> allow.</summary>
    public static long WorstCase(ServiceOptions options) =>
        EscapeFactor * ((long)options.MaxPromptBytes + options.MaxTranscriptBytes)
        + (long)EntryEnvelopeBytes * options.MaxTranscriptEntries
        + TurnSubmissionValidator.MaxMetadataBytes
        + OtherFieldsBytes;

    public ValidateOptionsResult Validate(string? name, ServiceOptions options)
    {
        var worst = WorstCase(options);
        return options.MaxRequestBodyBytes >= worst
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail(
                $"Workers:Service:MaxRequestBodyBytes {options.MaxRequestBodyBytes} is below the largest body the other limits allow, "
                + $"{worst} bytes: {EscapeFactor} × (MaxPromptBytes {options.MaxPromptBytes} "
                + $"+ MaxTranscriptBytes {options.MaxTranscriptBytes}) "
                + $"+ {EntryEnvelopeBytes} × MaxTranscriptEntries {options.MaxTranscriptEntries} "
                + $"+ {TurnSubmissionValidator.MaxMetadataBytes} of metadata + {OtherFieldsBytes} for the other fields. "
                + $"Raise MaxRequestBodyBytes to at least {worst}, or lower those limits.");
    }
}
