using Microsoft.Extensions.Options;

namespace Workers.Maintenance;

/// <summary>The ranges declared on <see cref="MaintenanceOptions"/>, checked by the options source generator at start-up
/// (a <c>ReapInterval</c> of 0 would otherwise fail the scheduler, not the start).</summary>
[OptionsValidator]
internal sealed partial class MaintenanceOptionsValidator : IValidateOptions<MaintenanceOptions>;
