using Microsoft.Extensions.Options;

namespace Workers.Service;

/// <summary>The ranges declared on <see cref="ServiceOptions"/>, checked by the options source generator at start-up
/// (a <c>LeaseDuration</c> of 0 would otherwise make every claim throw once the service runs).</summary>
[OptionsValidator]
internal sealed partial class ServiceOptionsValidator : IValidateOptions<ServiceOptions>;
