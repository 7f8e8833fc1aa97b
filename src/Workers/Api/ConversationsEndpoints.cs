using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Workers.Maintenance;
using Workers.Serialization;
using Workers.Sessions;
using Workers.Store;

namespace Workers.Api;

/// <summary><c>/v1/conversations</c>: a conversation's turns, and closing it.</summary>
internal static class ConversationsEndpoints
{
    public static void MapConversations(this IEndpointRouteBuilder api)
    {
        api.MapGet("/v1/conversations/{id}/turns", async (string id, ITurnStore store, CancellationToken cancellationToken) =>
            TypedResults.Json(new { conversationId = id, turns = (await store.ListConversationAsync(id, cancellationToken)).Select(TurnView.From) },
                WorkersJson.Options)).WithName("ListConversationTurns");

        // Frees the conversation's bound process, forgets its agent session and, in the profiles in conversation isolation,
        // deletes its files (HOME and workspace) before answering; its turns stay readable.
        api.MapDelete("/v1/conversations/{id}", async (string id, SessionRegistry sessions, ConversationFileCleanup files,
            CancellationToken cancellationToken) =>
        {
            await sessions.ForgetAsync(id, cancellationToken);
            var removal = await files.RemoveAsync(id, FileRemovalCause.Delete, cancellationToken);
            return removal.Failed.Count > 0 ? ApiProblems.ConversationFilesNotRemoved(id, removal.Failed)
                : removal.StillHeld.Count > 0 ? ApiProblems.ConversationFilesHeld(id, removal.StillHeld)
                : TypedResults.NoContent();
        }).WithName("DeleteConversation");
    }
}
