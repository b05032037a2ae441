# Diaries, voice posts, comments and likes: their pages, forms and lists.

posts-new-diary = Write a diary
posts-new-voice = Post a voice
posts-edit-diary = Edit this diary
posts-edit-voice = Edit this voice post
posts-delete-diary = Delete this diary
posts-delete-voice = Delete this voice post
posts-delete-diary-question = Delete this diary?
posts-delete-voice-question = Delete this voice post?
posts-delete-warning = Its comments and likes are deleted with it. This cannot be undone.
posts-delete-confirm = Delete
posts-cancel = Cancel
posts-not-yours = Only the author can change this post.

posts-field-title = Title
posts-field-body = Body
posts-body-hint = Markdown: blank lines separate paragraphs, **bold**, *italic*, # heading, - list, [link](https://…).
posts-save = Save
posts-preview = Preview
posts-preview-heading = Preview

posts-error-title = Enter a title of 1 to { $count } characters.
posts-error-body = Write a body of 1 to { $count } characters.
posts-error-voice = Write 1 to { $count } characters.
posts-error-comment = Write a comment of 1 to { $count } characters.
posts-error-audience = Choose who can see this from the list.

posts-voice-heading = Voice post by { $name }
posts-edited = (edited)
posts-original = See it on its server

posts-likes = { $count ->
    [0] Likes
    [one] 1 like
   *[other] { $count } likes
}
posts-like = Like!
posts-unlike = Take back my like
posts-likes-none = No likes yet.

posts-comments = Comments
posts-comments-none = No comments yet.
posts-comments-more = Later comments
posts-comment-label = Your comment
posts-comment-submit = Comment
posts-comment-delete = Delete this comment
posts-comment-login = Log in to comment

posts-timeline-older = Earlier posts
posts-timeline-end = There is nothing older.
posts-tag-posts = Posts with this tag
posts-boosted-by = Boosted by
posts-tag-empty = No posts you may see carry this tag.

posts-diaries-of = { $name }'s diary
posts-diaries-empty = There are no diaries here that you can see.
posts-diaries-empty-own = You have not written a diary yet. Write about your day: choose who can see it.

photos-legend = Photos
photos-hint-diary = A diary takes up to { $count } photos: JPEG, PNG, WebP or GIF, at most { $size } each. Describe each one for people who cannot see it.
photos-hint-voice = A voice post takes { $count } photo: JPEG, PNG, WebP or GIF, at most { $size }. Describe it for people who cannot see it.
photos-number = Photo { $n }
photos-file = Photo { $n }
photos-alt = Description of photo { $n } (alt text)
photos-position = Place of photo { $n }
photos-remove = Remove photo { $n }
photos-error-too-large = “{ $file }” is larger than { $size }. Choose a smaller photo.
photos-error-unsupported = “{ $file }” is not a JPEG, PNG, WebP or GIF image.
photos-error-empty = “{ $file }” is empty. Choose the photo again.
photos-error-broken = “{ $file }” could not be read as an image. It may be damaged or cut short.
photos-error-pixels = “{ $file }” is too large an image: at most { $count } megapixels.
photos-error-too-many-diary = A diary takes at most { $count } photos. Remove some first.
photos-error-too-many-voice = A voice post takes at most { $count } photo. Remove it first.
photos-error-alt = A photo's description may be at most { $count } characters.
photos-error-gone = A photo chosen earlier is no longer there. Choose it again.
